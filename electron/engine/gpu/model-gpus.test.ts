import { describe, expect, it } from 'vitest';
import { modelGpuIndexes, powerProfileTargets } from './model-gpus.js';

describe('modelGpuIndexes / powerProfileTargets', () => {
  it('uses the listed GPUs, else the first tp', () => {
    expect(modelGpuIndexes({ gpus: [3, 4], tp: 2 })).toEqual([3, 4]);
    expect(modelGpuIndexes({ tp: 4 })).toEqual([0, 1, 2, 3]);
  });

  it("spreads one number over the model's GPUs and sorts a per-GPU map by index", () => {
    expect(powerProfileTargets({ gpus: [1, 2], tp: 2, powerLimitW: 300 })).toEqual([
      { index: 1, watts: 300 },
      { index: 2, watts: 300 },
    ]);
    expect(powerProfileTargets({ tp: 1, powerLimitW: { '10': 250, '2': 280 } })).toEqual([
      { index: 2, watts: 280 },
      { index: 10, watts: 250 },
    ]);
    expect(powerProfileTargets({ tp: 1 })).toEqual([]);
  });
});
