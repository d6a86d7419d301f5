import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../shared/throughput.js';
import { EngineError } from '../../shared/engine-error.js';
import { formatBenchResult, formatBenchSummary } from './bench-command.js';
import { runCli } from './testing/run-cli.js';
import { startCliTestEngine } from './testing/start-cli-test-engine.js';

const RESULT: BenchResult = { modelId: 'mistral', atMs: 1, tokPerS: 43.2, ttftMs: 310, tokens: 256, gpus: [0, 1, 2, 3], powerLimitsW: [350, 350, 350, 350], powerDrawW: 1380.4, tokPerW: 0.0313 };

describe('switchboard bench output', () => {
  it('prints one run on one line', () => {
    expect(formatBenchResult(RESULT)).toBe('mistral: 43.20 tok/s, TTFT 310 ms, 256 tokens, GPUs 0,1,2,3 @ 350 W, 1380 W → 0.0313 tok/W');
    expect(formatBenchResult({ ...RESULT, powerLimitsW: [300, null, 350, 350], powerDrawW: null, tokPerW: null })).toBe(
      'mistral: 43.20 tok/s, TTFT 310 ms, 256 tokens, GPUs 0,1,2,3 @ 300/?/350/350 W',
    );
    expect(formatBenchResult({ ...RESULT, gpus: [], powerLimitsW: [], powerDrawW: null, tokPerW: null })).toBe('mistral: 43.20 tok/s, TTFT 310 ms, 256 tokens');
  });

  it('prints the per-model, per-limit table', () => {
    const table = formatBenchSummary([
      { modelId: 'mistral', powerLimitW: 350, powerLimitsW: [350, 350], runs: 3, tokPerS: 42.5, bestTokPerS: 44.1, ttftMs: 300, tokPerW: 0.031, lastAtMs: 1 },
      { modelId: 'mistral', powerLimitW: null, powerLimitsW: [300, 350], runs: 1, tokPerS: 40, bestTokPerS: 40, ttftMs: 320, tokPerW: null, lastAtMs: 1 },
    ]);
    expect(table.split('\n')).toEqual([
      'MODEL    POWER LIMIT  RUNS  TOK/S  BEST   TTFT    TOK/W',
      'mistral  350 W        3     42.50  44.10  300 ms  0.0310',
      'mistral  300/350 W    1     40.00  40.00  320 ms  -',
    ]);
    expect(formatBenchSummary([])).toBe('no benchmark runs recorded');
  });

  it('a run with too few tokens to measure exits 1 and says to ask for more', async () => {
    const t = await startCliTestEngine();
    try {
      t.engine.runBenchmark = async () => {
        throw new EngineError('too_few_tokens', 'qwen-32b produced too little to measure (1 token(s))', { tokens: 1, maxTokens: 2 });
      };
      const { code, stderr } = await runCli(['bench', 'qwen', '--tokens', '2', '--url', t.url]);
      expect(code).toBe(1);
      expect(stderr).toBe('switchboard bench: qwen-32b produced too little to measure (1 token(s)) — ask for more with --tokens N (e.g. --tokens 256)\n');
    } finally {
      await t.close();
    }
  });
});
