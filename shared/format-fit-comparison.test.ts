import { describe, expect, it } from 'vitest';
import type { FitComparison } from './fit-estimate.js';
import { fitComparisonRows, formatFitComparison } from './format-fit-comparison.js';

const predicted: FitComparison['predicted'] = { verdict: 'fits', weightsPerGpuGib: 15.55, weightsSource: 'params', kvTokens: 46_516, summary: '' };

describe('fit comparison (switch progress)', () => {
  it.each([
    [
      'before any figure is logged',
      { predicted, actual: { weightsPerGpuGib: null, kvTokens: null, source: null } },
      'weights not reported (predicted 15.55 GiB) · KV cache not reported (predicted 46,516)',
    ],
    [
      'weights logged, KV not yet',
      { predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: null, source: 'log' } },
      'weights 15.54 GiB/GPU (predicted 15.55 GiB, −0.1 %) · KV cache not reported (predicted 46,516)',
    ],
    [
      'both, as the TP-4 QwQ log reported them',
      { predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: 46_611, source: 'log' } },
      'weights 15.54 GiB/GPU (predicted 15.55 GiB, −0.1 %) · KV cache 46,611 tokens (predicted 46,516, +0.2 %)',
    ],
    ['no prediction (forced without GPU data)', { predicted: null, actual: { weightsPerGpuGib: 1.07, kvTokens: 20_480, source: 'server_info' } }, 'weights 1.07 GiB/GPU · KV cache 20,480 tokens'],
    ['nothing at all', { predicted: null, actual: { weightsPerGpuGib: null, kvTokens: null, source: null } }, null],
  ] as const)('%s', (_, fit, line) => {
    expect(formatFitComparison(fit as FitComparison)).toBe(line);
  });

  it('rows carry the delta only when both figures are known', () => {
    const rows = fitComparisonRows({ predicted: { ...predicted, kvTokens: null }, actual: { weightsPerGpuGib: 16.32, kvTokens: 1000, source: 'log' } });
    expect(rows).toEqual([
      { label: 'Weights per GPU', predicted: '15.55 GiB', actual: '16.32 GiB', delta: '+5.0 %' },
      { label: 'KV cache tokens', predicted: null, actual: '1,000', delta: null },
    ]);
  });
});
