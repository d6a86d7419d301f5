import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SGLANG_LOG_FIXTURES, readSglangRecords } from '../../../test/fixtures/read-sglang-log.js';
import { GIB, LOAD_OVERHEAD_GIB, estimateFit, kvBytesPerToken, weightBytesFromParams, type KvCacheDtype } from './estimate-fit.js';
import { geometryFromConfig, type ModelGeometry } from './model-geometry.js';
import { readLoadFigures } from './read-load-figures.js';

function readConfig(folder: string, file = 'config.json'): unknown {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/model-configs/${folder}/${file}`, import.meta.url), 'utf8')) as unknown;
}

function geometryOf(folder: string): ModelGeometry {
  const quant = folder === 'llama-3.1-70b-instruct-fp8-nvidia' ? readConfig(folder, 'hf_quant_config.json') : undefined;
  return geometryFromConfig(readConfig(folder), quant);
}

/**
 * Which config fixture stands for the model a log loaded (by the basename of server_args' model_path).
 * QwQ-32B has no config fixture; Qwen2.5-32B has the same geometry (64 layers, 40 Q / 8 KV heads,
 * hidden 5120, vocab 152064; model-configs/SOURCES.md). Qwen2.5-3B-Instruct: the base config, same shapes.
 */
const CONFIG_FOR_MODEL: Record<string, string> = {
  'qwq-32b': 'qwen2.5-32b',
  'qwen2.5-3b-instruct': 'qwen2.5-3b',
  'qwen2.5-0.5b-instruct': 'qwen2.5-0.5b-instruct',
};

/** Real logs only: reference-startup-sample is synthetic, the OOM log has no server_args or weights lines. */
const REAL_LOGS = [SGLANG_LOG_FIXTURES.tp4, SGLANG_LOG_FIXTURES.docsci, SGLANG_LOG_FIXTURES.runtime];

function pct(predicted: number, actual: number): number {
  return ((predicted - actual) / actual) * 100;
}

describe('estimateFit against real SGLang logs', () => {
  const rows: string[] = [];
  it.each(REAL_LOGS)('%s: KV bytes per token exact, tokens within 3 pct, weights within 5 pct', (log) => {
    const figures = readLoadFigures(readSglangRecords(log).map((r) => r.text));
    const modelPath = figures.modelPath ?? '';
    const folder = CONFIG_FOR_MODEL[modelPath.split('/').pop()!.toLowerCase()];
    expect(folder, `config fixture for ${modelPath}`).toBeDefined();
    const geometry = geometryOf(folder!);
    const tp = figures.tp ?? 1;
    const kvDtype = (figures.kvCacheDtype ?? 'auto') as KvCacheDtype;
    // The estimate, with the log's own settings and the GPU memory the log shows before the weights.
    const fit = estimateFit({
      geometry,
      tp,
      weightBytes: null,
      contextLength: figures.contextLen ?? undefined,
      memFractionStatic: figures.memFractionStatic ?? undefined,
      kvCacheDtype: kvDtype,
      maxTotalTokens: figures.maxTotalTokensArg ?? undefined,
      pageSize: figures.pageSize ?? 1,
      preLoadAvailGib: figures.preLoadAvailGib,
    });
    // SGLang's own arithmetic from the log's own figures (the measured weights), to check the formula alone.
    const fromLoggedWeights = estimateFit({
      geometry,
      tp,
      weightBytes: null,
      learnedWeightGib: figures.weightsGib,
      memFractionStatic: figures.memFractionStatic ?? undefined,
      kvCacheDtype: kvDtype,
      maxTotalTokens: figures.maxTotalTokensArg ?? undefined,
      preLoadAvailGib: figures.preLoadAvailGib,
    });
    const loggedTokens = figures.kvTokens!;
    const loggedPoolBytes = figures.kvPoolGib! * GIB;
    // KV bytes per token: exact. The log prints K and V rounded to 0.01 GiB each, so the pool it implies is
    // only known to ±0.01 GiB; the exact bytes per token must land inside that interval.
    const exactPool = fit.kvBytesPerToken * loggedTokens;
    expect(Math.abs(exactPool - loggedPoolBytes)).toBeLessThanOrEqual(0.01 * GIB);
    expect(Number.isInteger(fit.kvBytesPerToken)).toBe(true);
    const tokenErr = pct(fit.kvTokens!, loggedTokens);
    const formulaErr = pct(fromLoggedWeights.kvTokens!, loggedTokens);
    const weightErr = pct(fit.weightsPerGpuGib, figures.weightsGib!);
    expect(Math.abs(tokenErr)).toBeLessThan(3);
    expect(Math.abs(formulaErr)).toBeLessThan(0.1);
    expect(Math.abs(weightErr)).toBeLessThan(5);
    // The docs-CI run capped the pool at --max-total-tokens 20480, under its 32,768 context: tight.
    expect(fit.verdict).toBe(loggedTokens < (figures.contextLen ?? 0) ? 'tight' : 'fits');
    rows.push(
      `| ${log} | ${folder} | tp${tp} | ${fit.kvBytesPerToken} | ${fit.kvTokens} / ${loggedTokens} (${tokenErr.toFixed(2)} %) | ${fromLoggedWeights.kvTokens} (${formulaErr.toFixed(3)} %) | ${fit.weightsPerGpuGib.toFixed(2)} / ${figures.weightsGib} GiB (${weightErr.toFixed(2)} %) |`,
    );
    if (rows.length === REAL_LOGS.length && process.env.FIT_TABLE) console.log(rows.join('\n'));
  });
});

/** Hand calculations from each config (the numbers copied from the file, not read by the code under test). */
const HAND_KV: { folder: string; tp: number; kv?: KvCacheDtype; bytes: number; how: string }[] = [
  { folder: 'qwen2.5-0.5b-instruct', tp: 1, bytes: 2 * 24 * 2 * 64 * 2, how: 'K+V × 24 layers × 2 KV heads × 64 (896/14) × 2 B (fp32 checkpoint served 16-bit)' },
  { folder: 'qwen2.5-3b', tp: 1, bytes: 2 * 36 * 2 * 128 * 2, how: '36 × 2 × 128 (2048/16)' },
  { folder: 'qwen2.5-7b', tp: 1, bytes: 2 * 28 * 4 * 128 * 2, how: '28 × 4 × 128 (3584/28)' },
  { folder: 'qwen2.5-7b-instruct', tp: 2, bytes: 2 * 28 * 2 * 128 * 2, how: '28 × (4/2) × 128' },
  { folder: 'qwen2.5-32b', tp: 4, bytes: 2 * 64 * 2 * 128 * 2, how: '64 × (8/4) × 128 (5120/40)' },
  { folder: 'qwen2.5-32b-instruct', tp: 1, bytes: 2 * 64 * 8 * 128 * 2, how: '64 × 8 × 128' },
  { folder: 'qwen2.5-72b', tp: 8, bytes: 2 * 80 * 1 * 128 * 2, how: '80 × (8/8) × 128 (8192/64)' },
  { folder: 'qwen2.5-72b', tp: 16, bytes: 2 * 80 * 1 * 128 * 2, how: 'tp 16 > 8 KV heads: max(1, 8 // 16) = 1 head per GPU (replicated)' },
  { folder: 'llama-3.1-8b', tp: 1, bytes: 2 * 32 * 8 * 128 * 2, how: '32 × 8 × 128 (4096/32)' },
  { folder: 'llama-3.1-8b-instruct', tp: 1, kv: 'fp8_e4m3', bytes: 2 * 32 * 8 * 128 * 1, how: 'fp8 KV: 1 B' },
  { folder: 'llama-3.1-70b-instruct', tp: 4, bytes: 2 * 80 * 2 * 128 * 2, how: '80 × (8/4) × 128 (8192/64)' },
  { folder: 'llama-3.1-70b-instruct-fp8-nvidia', tp: 2, bytes: 2 * 80 * 4 * 128 * 1, how: 'hf_quant_config kv_cache_quant_algo FP8: 1 B' },
  { folder: 'mistral-7b-instruct-v0.3', tp: 1, bytes: 2 * 32 * 8 * 128 * 2, how: '32 × 8 × 128 (4096/32)' },
  { folder: 'mixtral-8x7b-v0.1', tp: 2, bytes: 2 * 32 * 4 * 128 * 2, how: '32 × (8/2) × 128; experts do not change the KV' },
  { folder: 'qwen3-30b-a3b', tp: 1, bytes: 2 * 48 * 4 * 128 * 2, how: '48 × 4 × head_dim 128 (not 2048/32 = 64)' },
  { folder: 'qwen3-32b-fp8', tp: 1, bytes: 2 * 64 * 8 * 128 * 2, how: '64 × 8 × head_dim 128 (not 5120/64 = 80); fp8 weights, KV auto = bf16' },
  { folder: 'deepseek-v3', tp: 8, bytes: (512 + 64) * 61 * 2, how: 'MLA: (kv_lora_rank 512 + qk_rope 64) × 61 layers × 2 B, not split by TP' },
];

describe('KV bytes per token on every config fixture', () => {
  it.each(HAND_KV)('$folder tp$tp $kv: $how', ({ folder, tp, kv, bytes }) => {
    expect(kvBytesPerToken(geometryOf(folder), tp, kv ?? 'auto')).toBe(bytes);
  });
});

/**
 * No fixture has a model.safetensors.index.json (model-configs/SOURCES.md), so the weight bytes come
 * from the parameter count × dtype; checked against published parameter counts (model cards / the
 * total_size figures quoted in SOURCES.md), within 2 %.
 */
const PARAMS: { folder: string; params: number; bytes?: number }[] = [
  { folder: 'qwen2.5-0.5b-instruct', params: 494_032_768 },
  { folder: 'qwen2.5-3b', params: 3_085_938_688, bytes: 6_171_877_376 },
  { folder: 'qwen2.5-7b-instruct', params: 7_615_616_512, bytes: 15_231_233_024 },
  { folder: 'qwen2.5-32b', params: 32_763_876_352 },
  { folder: 'qwen2.5-72b', params: 72_706_203_648 },
  { folder: 'llama-3.1-8b', params: 8_030_261_248 },
  { folder: 'llama-3.1-70b-instruct', params: 70_553_706_496 },
  { folder: 'mistral-7b-instruct-v0.3', params: 7_248_023_552 },
  { folder: 'mixtral-8x7b-v0.1', params: 46_702_792_704 },
  { folder: 'qwen3-30b-a3b', params: 30_532_122_624 },
  { folder: 'deepseek-v3', params: 671_026_419_200 },
];

describe('weight bytes from the parameter count', () => {
  it.each(PARAMS)('$folder ≈ $params parameters', ({ folder, params, bytes }) => {
    const geometry = geometryOf(folder);
    expect(Math.abs(pct(geometry.paramCount, params))).toBeLessThan(2);
    if (bytes !== undefined) expect(Math.abs(pct(weightBytesFromParams(geometry), bytes))).toBeLessThan(2);
  });

  it('counts fp8 linear weights at one byte, embeddings at two', () => {
    const geometry = geometryOf('qwen3-32b-fp8');
    expect(geometry.quantMethod).toBe('fp8');
    const bytes = weightBytesFromParams(geometry);
    expect(bytes).toBeGreaterThan(geometry.paramCount * 1);
    expect(bytes).toBeLessThan(geometry.paramCount * 1.2);
  });
});

describe('verdicts', () => {
  const geometry = geometryOf('qwen2.5-32b');
  const base = { geometry, tp: 1, weightBytes: 32.76e9 * 2, memFractionStatic: 0.88, contextLength: 32768 } as const;

  it('will not fit: names the GPU and the shortfall of the weights', () => {
    const fit = estimateFit({ ...base, preLoadAvailGib: 23.0, gpuLabel: 'GPU 0 (RTX 3090)' });
    expect(fit.verdict).toBe('will_not_fit');
    expect(fit.shortfallGib).toBeCloseTo(61.02 + LOAD_OVERHEAD_GIB - 23, 1);
    expect(fit.summary).toContain('GPU 0 (RTX 3090)');
  });

  it('will not fit: weights fit but no KV room is left at this memFractionStatic', () => {
    const fit = estimateFit({ ...base, tp: 4, preLoadAvailGib: 17, memFractionStatic: 0.5 });
    expect(fit.verdict).toBe('will_not_fit');
    expect(fit.shortfallGib).toBeGreaterThan(0);
  });

  it('tight when less than one context fits; fits otherwise; unknown without GPU data', () => {
    expect(estimateFit({ ...base, tp: 4, preLoadAvailGib: 21.63, memFractionStatic: 0.85, contextLength: 131072 }).verdict).toBe('tight');
    expect(estimateFit({ ...base, tp: 4, preLoadAvailGib: 21.63, memFractionStatic: 0.85, contextLength: 32768 }).verdict).toBe('fits');
    const unknown = estimateFit({ ...base, preLoadAvailGib: null });
    expect(unknown.verdict).toBe('unknown');
    expect(unknown.kvTokens).toBeNull();
  });

  it('a learned weight figure replaces the estimate', () => {
    const fit = estimateFit({ ...base, tp: 4, learnedWeightGib: 15.54, preLoadAvailGib: 21.63, memFractionStatic: 0.85 });
    expect(fit.weightsSource).toBe('learned');
    expect(fit.weightsPerGpuGib).toBe(15.54);
  });
});
