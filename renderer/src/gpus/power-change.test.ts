import { describe, expect, it } from 'vitest';
import { expiredChanges, hasPending, pendingFrom, secondsLeft, type PowerChange } from './power-change.js';
import { pendingChange } from './testing/rtx3090-samples.js';

describe('power change countdown', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('counts whole seconds down to the revert, rounded up, never negative', () => {
    const pending = pendingFrom(pendingChange(1, 300, t0, 20));
    expect(pending.deadlineMs).toBe(t0 + 20_000);
    expect(secondsLeft(pending.deadlineMs, t0)).toBe(20);
    expect(secondsLeft(pending.deadlineMs, t0 + 19_001)).toBe(1);
    expect(secondsLeft(pending.deadlineMs, t0 + 20_000)).toBe(0);
    expect(secondsLeft(pending.deadlineMs, t0 + 99_000)).toBe(0);
  });

  it('finds the pending changes past their time, except those being confirmed or reverted', () => {
    const changes = {
      a: pendingFrom(pendingChange(1, 300, t0, 10)),
      b: { ...pendingFrom(pendingChange(2, 300, t0, 10)), busy: 'confirming' },
      c: pendingFrom(pendingChange(3, 300, t0, 30)),
      d: { kind: 'confirmed', watts: 300 },
    } satisfies Record<string, PowerChange>;
    expect(expiredChanges(changes, t0 + 10_000)).toEqual([['a', changes.a]]);
    expect(hasPending(changes, { kind: 'idle' })).toBe(true);
    expect(hasPending({ d: changes.d }, { kind: 'idle' })).toBe(false);
  });
});
