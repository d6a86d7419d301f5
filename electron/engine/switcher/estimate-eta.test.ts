import { describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../../shared/engine-state.js';
import { estimateEtaMs, typicalLoadMs, typicalPhaseMs } from './estimate-eta.js';

function record(totalMs: number, phaseMs: LoadRecord['phaseMs'], outcome: LoadRecord['outcome'] = 'ready'): LoadRecord {
  return { modelId: 'm', startedAtMs: 1000, endedAtMs: 1000 + totalMs, outcome, cause: 'manual', phaseMs };
}

describe('typical load times from history', () => {
  it('is unknown without a successful load', () => {
    expect(typicalPhaseMs([])).toBeNull();
    expect(typicalLoadMs([record(5000, { weights: 5000 }, 'failed')])).toBeNull();
    expect(estimateEtaMs(null, { phase: 'weights', phaseElapsedMs: 0 })).toBeNull();
  });

  it('takes the median of the last five successful loads, ignoring failures', () => {
    const records = [
      record(100_000, { weights: 100_000 }), // oldest, outside the window of five
      record(10_000, { weights: 10_000 }),
      record(20_000, { weights: 20_000 }),
      record(999_000, { weights: 999_000 }, 'failed'),
      record(30_000, { weights: 30_000 }),
      record(40_000, { weights: 40_000 }),
      record(50_000, { weights: 50_000 }),
    ];
    expect(typicalLoadMs(records)).toBe(30_000);
    expect(typicalPhaseMs(records)).toEqual({ weights: 30_000 });
  });
});

describe('estimateEtaMs', () => {
  const typical = { launching: 1_000, initializing: 2_000, weights: 30_000, kv_cache: 1_000, cuda_graphs: 20_000, torch_compile: 100_000, warmup: 2_000 };

  it.each([
    ['start of launching: the whole typical load', { phase: 'launching' as const, phaseElapsedMs: 0 }, 156_000],
    ['mid weights without progress: typical rest of the phase', { phase: 'weights' as const, phaseElapsedMs: 10_000 }, 20_000 + 123_000],
    ['weights at 50% after 20 s: this load is slower than usual, trust its own rate', { phase: 'weights' as const, phaseFraction: 0.5, phaseElapsedMs: 20_000 }, 20_000 + 123_000],
    ['a phase overrunning its typical time counts as nearly done', { phase: 'cuda_graphs' as const, phaseElapsedMs: 60_000 }, 102_000],
    ['warmup: only warmup left', { phase: 'warmup' as const, phaseElapsedMs: 500 }, 1_500],
    ['ready', { phase: 'ready' as const, phaseElapsedMs: 0 }, 0],
  ])('%s', (_name, now, expected) => {
    expect(estimateEtaMs(typical, now)).toBe(expected);
  });

  it('adds nothing for phases this model never went through (no torch.compile, no CUDA graphs)', () => {
    expect(estimateEtaMs({ weights: 10_000, warmup: 1_000 }, { phase: 'kv_cache', phaseElapsedMs: 0 })).toBe(1_000);
  });
});
