import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/engine-state.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createLogsStore, type LogSink, type LogsStore } from './logs-store.js';

const line = (seq: number, stream: LogLine['stream'] = 'stderr'): LogLine => ({ seq, atMs: 1_700_000_000_000 + seq, stream, text: `line ${seq}`, modelId: 'qwen' });

/** Frames run only when the test says so. */
function manualFrames() {
  const queue: (() => void)[] = [];
  return {
    schedule(callback: () => void) {
      queue.push(callback);
      return () => queue.splice(queue.indexOf(callback) >>> 0, 1);
    },
    get waiting() {
      return queue.length;
    },
    run() {
      for (const callback of queue.splice(0)) callback();
    },
  };
}

/** A terminal stand-in: records writes; `auto` completes them at once, otherwise `complete()` does. */
function recordingSink(auto = true) {
  const writes: string[] = [];
  let pending: (() => void) | null = null;
  const sink: LogSink & { writes: string[]; cleared: number; scrolled: number; complete(): void } = {
    writes,
    cleared: 0,
    scrolled: 0,
    write(text, done) {
      writes.push(text);
      if (auto) done();
      else pending = done;
    },
    clear() {
      sink.cleared++;
    },
    scrollToBottom() {
      sink.scrolled++;
    },
    complete() {
      const done = pending;
      pending = null;
      done?.();
    },
  };
  return sink;
}

/** Lets the fake transport's promise chains finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const seqsOf = (writes: string[]) =>
  writes
    .join('')
    .split('\r\n')
    .filter((r) => /^\d+$/.test(r))
    .map(Number);

describe('createLogsStore', () => {
  let transport: FakeTransport;
  let store: LogsStore;
  let stop: () => void = () => undefined;
  afterEach(() => stop());

  function setup(tail: LogLine[] = [], opts: { maxLinesPerFrame?: number; storage?: Map<string, string> } = {}) {
    transport = createFakeTransport({ 'logs.tail': async () => tail });
    const frames = manualFrames();
    const storage = opts.storage ?? new Map<string, string>();
    store = createLogsStore(new ApiHub(transport), {
      scheduleFrame: frames.schedule,
      maxLinesPerFrame: opts.maxLinesPerFrame,
      format: (l) => String(l.seq),
      storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    });
    return frames;
  }

  it('writes the tail, then live lines, once per frame (never per line), without duplicates', async () => {
    const frames = setup([line(1), line(2), line(3)]);
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    transport.emit({ type: 'log', line: line(3) }, { type: 'log', line: line(4) });
    await settle();
    expect(store.getState().status).toBe('live');
    for (let seq = 5; seq <= 500; seq++) transport.emit({ type: 'log', line: line(seq) });
    frames.run();
    expect(sink.writes).toHaveLength(1);
    expect(seqsOf(sink.writes)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(store.getState().shownLines).toBe(500);
    expect(transport.calls).toEqual([{ method: 'logs.tail', params: { tail: 10_000 } }]);
  });

  it('waits for the terminal to take a chunk before writing the next', async () => {
    const frames = setup([], { maxLinesPerFrame: 10 });
    const sink = recordingSink(false);
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    for (let seq = 1; seq <= 25; seq++) transport.emit({ type: 'log', line: line(seq) });
    frames.run();
    frames.run();
    expect(sink.writes).toHaveLength(1);
    sink.complete();
    frames.run();
    sink.complete();
    frames.run();
    expect(seqsOf(sink.writes)).toHaveLength(25);
    expect(sink.writes).toHaveLength(3);
  });

  it('a 5,000 lines/s flood: one write and at most one state update per frame, every line shown or counted', async () => {
    const frames = setup([], { maxLinesPerFrame: 1_000 });
    const sink = recordingSink(false);
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    let updates = 0;
    const unsubscribe = store.subscribe(() => updates++);
    let seq = 0;
    const frameCount = 5 * 60;
    for (let frame = 0; frame < frameCount; frame++) {
      // The transport delivers events in batches per tick: ~83 lines per 60 Hz frame.
      const due = Math.floor(((frame + 1) * 5000) / 60);
      const batch: { type: 'log'; line: LogLine }[] = [];
      while (seq < due) batch.push({ type: 'log', line: line(++seq) });
      transport.emit(...batch);
      frames.run();
      if (frame % 3 === 2) sink.complete(); // the terminal takes a chunk every third frame
    }
    while (frames.waiting > 0 || store.getState().shownLines + store.getState().droppedLines < seq) {
      sink.complete();
      frames.run();
    }
    unsubscribe();
    const { shownLines, droppedLines } = store.getState();
    expect(shownLines + droppedLines).toBe(seq);
    expect(sink.writes.length).toBeLessThanOrEqual(frameCount);
    expect(updates).toBeLessThanOrEqual(frameCount + 10);
    const seqs = seqsOf(sink.writes);
    expect(seqs).toHaveLength(shownLines);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true); // i ≥ 1: seqs[i - 1] exists
  });

  it('paused: keeps buffering, writes nothing, counts new lines; resuming writes them and scrolls to the end', async () => {
    const frames = setup();
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    store.getState().setFollowing(false);
    for (let seq = 1; seq <= 42; seq++) transport.emit({ type: 'log', line: line(seq) });
    frames.run();
    expect(sink.writes).toHaveLength(0);
    expect(store.getState().newLines).toBe(42);
    store.getState().setFollowing(true);
    frames.run();
    expect(seqsOf(sink.writes)).toHaveLength(42);
    expect(sink.scrolled).toBe(1);
    expect(store.getState().newLines).toBe(0);
  });

  it('a flood while paused stays bounded by the scrollback and reports the dropped lines', async () => {
    const frames = setup();
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    store.getState().setScrollbackLines(1_000);
    store.getState().setFollowing(false);
    for (let seq = 1; seq <= 5_000; seq++) transport.emit({ type: 'log', line: line(seq) });
    frames.run();
    expect(store.getState().newLines).toBe(5_000);
    expect(store.getState().droppedLines).toBe(4_000);
    store.getState().setFollowing(true);
    frames.run();
    expect(sink.writes[0]).toContain('dropped 4,000 lines');
    expect(seqsOf(sink.writes)).toEqual(Array.from({ length: 1_000 }, (_, i) => 4_001 + i));
  });

  it('clear empties the terminal and the counters', async () => {
    const frames = setup([line(1), line(2)]);
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    frames.run();
    store.getState().clear();
    expect(sink.cleared).toBe(1);
    expect(store.getState().shownLines).toBe(0);
  });

  it('remembers the scrollback setting and ignores sizes it does not offer', () => {
    const storage = new Map<string, string>();
    setup([], { storage });
    store.getState().setScrollbackLines(50_000);
    store.getState().setScrollbackLines(123);
    expect(store.getState().scrollbackLines).toBe(50_000);
    expect(storage.get('switchboard.logs.scrollbackLines')).toBe('50000');
    setup([], { storage });
    expect(store.getState().scrollbackLines).toBe(50_000);
  });

  it('shows why the tail failed and still follows live lines', async () => {
    transport = createFakeTransport({});
    const frames = manualFrames();
    store = createLogsStore(new ApiHub(transport), { scheduleFrame: frames.schedule, format: (l) => String(l.seq), storage: null });
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    expect(store.getState().status).toBe('error');
    expect(store.getState().error).toMatch(/no handler for logs.tail/);
    transport.emit({ type: 'log', line: line(7) });
    frames.run();
    expect(seqsOf(sink.writes)).toEqual([7]);
  });

  it('stop unsubscribes: later lines are ignored', async () => {
    const frames = setup();
    const sink = recordingSink();
    store.getState().attachSink(sink);
    stop = store.getState().start();
    await settle();
    stop();
    transport.emit({ type: 'log', line: line(1) });
    frames.run();
    expect(sink.writes).toHaveLength(0);
  });
});
