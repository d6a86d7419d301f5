import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/engine-state.js';
import type { ApiEvent } from '../../shared/switchboard-api.js';
import type { IpcEventBatch } from '../../electron/preload/ipc-transport.js';
import { IpcEventFanout, parseSubscribeMessage } from '../../electron/main/ipc-event-fanout.js';
import { PendingEvents } from '../../electron/main/pending-events.js';
import { engineState } from './engine-state-fixtures.js';

const state = (modelId: string | null): ApiEvent => ({ type: 'state', state: engineState(modelId ? { status: 'ready', modelId } : {}) });
const log = (seq: number): ApiEvent => ({ type: 'log', line: { seq, atMs: seq, stream: 'stdout', text: `line ${seq}`, modelId: 'qwen' } satisfies LogLine });
const load: ApiEvent = { type: 'load', record: { modelId: 'qwen', startedAtMs: 0, endedAtMs: 1, outcome: 'ready', cause: 'manual', phaseMs: {} } };
const catalog: ApiEvent = { type: 'catalog', revision: 'a'.repeat(64) };

/** A sink that records batches, and a fanout whose ticks the test runs by hand. */
function setup(options: { maxPendingDroppable?: number; ackTimeoutMs?: number } = {}) {
  const ticks: Array<() => void> = [];
  let nowMs = 0;
  const dropped: number[] = [];
  const fanout = new IpcEventFanout({ ...options, schedule: (fn) => ticks.push(fn), now: () => nowMs, onDropped: (_id, n) => dropped.push(n) });
  const batches: IpcEventBatch[] = [];
  let destroyed = false;
  fanout.subscribe(1, { send: (b) => batches.push(b), isDestroyed: () => destroyed });
  return {
    fanout,
    batches,
    dropped,
    tick: () => ticks.splice(0).forEach((fn) => fn()),
    pendingTicks: () => ticks.length,
    advance: (ms: number) => (nowMs += ms),
    destroy: () => (destroyed = true),
  };
}

describe('IpcEventFanout', () => {
  it('sends the events of one tick as one batch, in order, with one scheduled flush', () => {
    const t = setup();
    t.fanout.publish(log(1));
    t.fanout.publish(load);
    t.fanout.publish(log(2));
    expect(t.pendingTicks()).toBe(1);
    t.tick();
    expect(t.batches).toEqual([{ seq: 1, events: [log(1), load, log(2)] }]);
  });

  it('coalesces state to the newest, placed after what happened before it', () => {
    const t = setup();
    t.fanout.publish(state('a'));
    t.fanout.publish(log(1));
    t.fanout.publish(state('b'));
    t.tick();
    expect(t.batches[0]!.events).toEqual([log(1), state('b')]);
  });

  it('sends nothing more until the renderer acks; then everything that waited, coalesced', () => {
    const t = setup();
    t.fanout.publish(state('a'));
    t.tick();
    for (let i = 0; i < 5; i++) t.fanout.publish(state(`s${i}`));
    t.fanout.publish(load);
    t.tick();
    expect(t.batches).toHaveLength(1);
    t.fanout.ack(1, 99); // a stale ack changes nothing
    t.tick();
    expect(t.batches).toHaveLength(1);
    t.fanout.ack(1, 1);
    t.tick();
    expect(t.batches[1]).toEqual({ seq: 2, events: [state('s4'), load] });
  });

  it('caps log lines of a stalled renderer (dropping the oldest), keeps load and catalog events', () => {
    const t = setup({ maxPendingDroppable: 100 });
    t.fanout.publish(state('a'));
    t.tick();
    t.fanout.publish(load);
    for (let i = 1; i <= 1000; i++) t.fanout.publish(log(i));
    t.fanout.publish(catalog);
    t.fanout.ack(1, 1);
    t.tick();
    const events = t.batches[1]!.events;
    const logs = events.filter((e) => e.type === 'log');
    expect(logs.length).toBeLessThanOrEqual(100);
    expect(logs.at(-1)).toEqual(log(1000));
    expect(events[0]).toEqual(load);
    expect(events.at(-1)).toEqual(catalog);
    expect(t.dropped.reduce((a, b) => a + b, 0)).toBe(1000 - logs.length);
  });

  it('a batch never acked (the page reloaded mid-batch) counts as taken after the timeout', () => {
    const t = setup({ ackTimeoutMs: 10_000 });
    t.fanout.publish(state('a'));
    t.tick();
    t.advance(10_001);
    t.fanout.publish(state('b'));
    t.tick();
    expect(t.batches.map((b) => b.seq)).toEqual([1, 2]);
  });

  it('forgets a destroyed renderer and an unsubscribed one; a re-subscribe starts afresh', () => {
    const t = setup();
    t.destroy();
    t.fanout.publish(state('a'));
    t.tick();
    expect(t.batches).toEqual([]);
    expect(t.fanout.has(1)).toBe(false);

    const fresh = setup();
    fresh.fanout.publish(state('a'));
    fresh.tick();
    fresh.fanout.subscribe(1, { send: (b) => fresh.batches.push(b), isDestroyed: () => false });
    fresh.fanout.publish(state('b'));
    fresh.tick();
    expect(fresh.batches.map((b) => b.seq)).toEqual([1, 1]);
    fresh.fanout.unsubscribe(1);
    fresh.fanout.publish(state('c'));
    expect(fresh.pendingTicks()).toBe(0);
  });
});

describe('PendingEvents', () => {
  it('keeps one GPU sample (latest) and every bench result (always)', () => {
    const pending = new PendingEvents(10);
    const gpu = (n: number): ApiEvent => ({ type: 'gpu.sample', samples: [], host: { cpuPercent: n } as never });
    pending.push(gpu(1));
    pending.push(gpu(2));
    expect(pending.take()).toEqual([gpu(2)]);
    expect(pending.size).toBe(0);
  });
});

describe('parseSubscribeMessage', () => {
  it.each([
    [{ op: 'subscribe' }, { op: 'subscribe' }],
    [{ op: 'unsubscribe', extra: 1 }, { op: 'unsubscribe' }],
    [
      { op: 'ack', seq: 3 },
      { op: 'ack', seq: 3 },
    ],
    [{ op: 'ack', seq: '3' }, null],
    [{ op: 'ack', seq: 1.5 }, null],
    [{ op: 'call' }, null],
    ['subscribe', null],
    [null, null],
  ])('%j → %j', (raw, parsed) => {
    expect(parseSubscribeMessage(raw)).toEqual(parsed);
  });
});
