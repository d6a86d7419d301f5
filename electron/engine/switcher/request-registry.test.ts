import { describe, expect, it } from 'vitest';
import { RequestRegistry, type ConcurrencyLimit } from './request-registry.js';

/** A registry with per-model limits the test can change, and a log of what became free. */
function registry(limits: Record<string, ConcurrencyLimit | undefined>) {
  let changes = 0;
  const requests = new RequestRegistry(
    () => changes++,
    () => 1_000,
    (modelId) => limits[modelId],
  );
  return { requests, changes: () => changes };
}

/** Settles pending promise callbacks (a place handed over resolves in a microtask). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RequestRegistry admission', () => {
  it('without a limit admits every request at once', () => {
    const { requests } = registry({});
    const all = Array.from({ length: 50 }, () => requests.admit('a', true));
    expect(all.every((a) => a !== null && !a.queued)).toBe(true);
    expect(requests.waiting('a')).toBe(50);
    expect(requests.queued('a')).toBe(0);
  });

  it('holds maxConcurrent places, queues maxQueued more, refuses the rest without registering them', () => {
    const { requests } = registry({ a: { maxConcurrent: 2, maxQueued: 3 } });
    const answers = Array.from({ length: 8 }, () => requests.admit('a', false));
    expect(answers.map((a) => (a === null ? 'refused' : a.queued ? 'queued' : 'held'))).toEqual(['held', 'held', 'queued', 'queued', 'queued', 'refused', 'refused', 'refused']);
    expect(requests.queued('a')).toBe(3);
    expect(requests.views().map((v) => [v.state, v.position])).toEqual([
      ['waiting', 1],
      ['waiting', 2],
      ['queued', 1],
      ['queued', 2],
      ['queued', 3],
    ]);
  });

  it('limits are per model', () => {
    const { requests } = registry({ a: { maxConcurrent: 1, maxQueued: 0 } });
    expect(requests.admit('a', false)?.queued).toBe(false);
    expect(requests.admit('a', false)).toBeNull();
    expect(requests.admit('b', false)?.queued).toBe(false);
  });

  it('a finished request hands its place to the oldest queued one (FIFO)', async () => {
    const { requests } = registry({ a: { maxConcurrent: 1, maxQueued: 5 } });
    const first = requests.admit('a', false)!;
    const second = requests.admit('a', false)!;
    const third = requests.admit('a', false)!;
    const order: string[] = [];
    void requests.placeOf(second.id).then(() => order.push('second'));
    void requests.placeOf(third.id).then(() => order.push('third'));
    requests.activate(first.id, 'a');
    expect(requests.inFlight('a')).toBe(1);
    await settled();
    expect(order).toEqual([]);
    requests.finish(first.id);
    await settled();
    expect(order).toEqual(['second']);
    expect(requests.queued('a')).toBe(1);
    requests.activate(second.id, 'a');
    requests.finish(second.id);
    await settled();
    expect(order).toEqual(['second', 'third']);
  });

  it('a queued request cannot run before it holds a place', () => {
    const { requests } = registry({ a: { maxConcurrent: 1, maxQueued: 1 } });
    requests.admit('a', false);
    const queued = requests.admit('a', false)!;
    expect(() => requests.activate(queued.id, 'a')).toThrow(/still queued/);
  });

  it('a withdrawn queued request frees its queue place, not a running one', async () => {
    const { requests } = registry({ a: { maxConcurrent: 1, maxQueued: 1 } });
    const running = requests.admit('a', false)!;
    const queued = requests.admit('a', false)!;
    expect(requests.admit('a', false)).toBeNull();
    requests.finish(queued.id);
    expect(requests.queued('a')).toBe(0);
    const next = requests.admit('a', false)!;
    expect(next.queued).toBe(true);
    let placed = false;
    void requests.placeOf(next.id).then(() => (placed = true));
    await settled();
    expect(placed).toBe(false);
    requests.finish(running.id);
    await settled();
    expect(placed).toBe(true);
  });

  it('a raised or removed limit lets queued requests go on at once', async () => {
    const limits: Record<string, ConcurrencyLimit | undefined> = { a: { maxConcurrent: 1, maxQueued: 4 } };
    const { requests } = registry(limits);
    requests.admit('a', false);
    const queued = [requests.admit('a', false)!, requests.admit('a', false)!, requests.admit('a', false)!];
    const placed = new Set<string>();
    for (const q of queued) void requests.placeOf(q.id).then(() => placed.add(q.id));
    limits.a = { maxConcurrent: 2, maxQueued: 4 };
    requests.limitsChanged();
    await settled();
    expect([...placed]).toEqual([queued[0]!.id]);
    limits.a = undefined;
    requests.limitsChanged();
    await settled();
    expect(placed.size).toBe(3);
    expect(requests.queued('a')).toBe(0);
  });

  it('requests registered outside any limit (the engine’s own) still count as holding a place', () => {
    const { requests } = registry({ a: { maxConcurrent: 1, maxQueued: 0 } });
    requests.wait('a', false);
    expect(requests.admit('a', false)).toBeNull();
  });
});
