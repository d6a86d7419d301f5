import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../shared/throughput.js';
import { summarizeBench } from './summarize-bench.js';

function run(modelId: string, powerLimitsW: (number | null)[], tokPerS: number, tokPerW: number | null = null, atMs = 1): BenchResult {
  return { modelId, atMs, tokPerS, ttftMs: 200, tokens: 256, gpus: powerLimitsW.map((_, i) => i), powerLimitsW, powerDrawW: null, tokPerW };
}

describe('summarizeBench', () => {
  it("groups per model and per set of limits: the seed's tok/s @ 350 W table", () => {
    const rows = summarizeBench([
      run('mistral', [350, 350, 350, 350], 42, 0.03, 1),
      run('mistral', [300, 300, 300, 300], 38, 0.033),
      run('mistral', [350, 350, 350, 350], 44, 0.032, 5),
      run('llama', [300, 350], 60),
      run('mistral', [350, null, 350, 350], 41),
    ]);
    expect(rows.map((r) => [r.modelId, r.powerLimitW, r.runs, r.tokPerS, r.bestTokPerS, r.tokPerW])).toEqual([
      ['llama', null, 1, 60, 60, null],
      ['mistral', 350, 2, 43, 44, 0.031],
      ['mistral', 300, 1, 38, 38, 0.033],
      ['mistral', null, 1, 41, 41, null],
    ]);
    expect(rows[1]).toMatchObject({ powerLimitsW: [350, 350, 350, 350], ttftMs: 200, lastAtMs: 5 });
  });

  it('is empty without runs', () => {
    expect(summarizeBench([])).toEqual([]);
  });
});
