import { describe, expect, it } from 'vitest';
import { stallTimeoutSchema } from './catalog-schema.js';
import { DEFAULT_STALL_TIMEOUTS_S, describeStall, stallLimitMs, stallWarnAfterMs } from './stall-timeouts.js';

describe('stall limits', () => {
  it.each([
    ['torch_compile', [undefined, undefined], DEFAULT_STALL_TIMEOUTS_S.torch_compile * 1000],
    ['weights', [120, undefined], 120_000],
    ['weights', [{ torch_compile: 3600 }, 90], 90_000],
    ['torch_compile', [{ torch_compile: 3600 }, 90], 3_600_000],
    ['warmup', [undefined, { warmup: 30 }], 30_000],
    ['ready', [5, 5], null],
    ['stopping', [undefined, undefined], null],
  ] as const)('%s with model/backend settings %j → %s ms', (phase, settings, expected) => {
    expect(stallLimitMs(phase, ...settings)).toBe(expected);
  });

  it('warns at a quarter of the limit, between 15 s (half of a shorter limit) and 2 min', () => {
    expect(stallWarnAfterMs(1_800_000)).toBe(120_000);
    expect(stallWarnAfterMs(300_000)).toBe(75_000);
    expect(stallWarnAfterMs(20_000)).toBe(10_000);
    expect(stallWarnAfterMs(2_000)).toBe(1_000);
  });

  it('says nothing before the warning time, then how long and when it will be stopped', () => {
    const stall = { lastProgressAtMs: 1_000, warnAfterMs: 60_000, limitMs: 600_000 };
    expect(describeStall(stall, 30_000)).toBeNull();
    expect(describeStall(stall, 76_400)).toBe('no progress for 75 s (stopped as stuck after 600 s)');
    expect(describeStall(undefined, 76_400)).toBeNull();
  });

  it('accepts seconds or known phases only', () => {
    expect(stallTimeoutSchema.safeParse(600).success).toBe(true);
    expect(stallTimeoutSchema.safeParse({ torch_compile: 3600, warmup: 60 }).success).toBe(true);
    expect(stallTimeoutSchema.safeParse({ compile: 3600 }).success).toBe(false);
    expect(stallTimeoutSchema.safeParse(0).success).toBe(false);
  });
});
