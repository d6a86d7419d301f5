import { describe, expect, it } from 'vitest';
import { throttleLatest, type ThrottleTimers } from '../../electron/main/throttle-latest.js';

function manualTimers() {
  let nowMs = 0;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  const api: ThrottleTimers = {
    now: () => nowMs,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: nowMs + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    nowMs += ms;
    for (const t of timers.filter((t) => t.at <= nowMs)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { api, advance };
}

describe('throttleLatest', () => {
  it('applies the first value at once, then the newest at most once per interval', () => {
    const { api, advance } = manualTimers();
    const applied: number[] = [];
    const update = throttleLatest((v: number) => applied.push(v), 500, api);
    update(1);
    update(2);
    update(3);
    expect(applied).toEqual([1]);
    advance(499);
    expect(applied).toEqual([1]);
    advance(1);
    expect(applied).toEqual([1, 3]);
    advance(1000);
    update(4);
    expect(applied).toEqual([1, 3, 4]);
  });

  it('cancel drops the pending value', () => {
    const { api, advance } = manualTimers();
    const applied: number[] = [];
    const update = throttleLatest((v: number) => applied.push(v), 500, api);
    update(1);
    update(2);
    update.cancel();
    advance(1000);
    expect(applied).toEqual([1]);
  });
});
