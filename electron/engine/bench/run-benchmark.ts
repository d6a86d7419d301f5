// The built-in benchmark: one fixed prompt streamed for N tokens through the model's own server, with the
// GPUs' power limits at that moment and their mean draw during the run.

import type { GpuSample } from '../../../shared/gpu-types.js';
import type { BenchResult } from '../../../shared/throughput.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { modelGpuIndexes } from '../gpu/model-gpus.js';
import { monotonicMs, streamCompletion } from './stream-completion.js';

/** Fixed so runs compare: the same prompt tokens every time. */
export const BENCH_PROMPT = 'Write a long, detailed story about a lighthouse keeper who finds a message in a bottle. Describe the sea, the light and the weather.';

export interface BenchmarkOptions {
  /** Tokens to generate (default 256). */
  maxTokens?: number;
  /** Wall clock for the run's `atMs` (ms since the epoch); default Date.now. */
  now?: () => number;
  /** Monotonic clock the stream is timed with (TTFT, tok/s); default performance.now(). */
  monotonicNow?: () => number;
}

/** Ensures the model is ready, runs one request and measures it. Throws an EngineError when it cannot measure. */
export async function runBenchmark(engine: Engine, modelId: string, options: BenchmarkOptions = {}): Promise<BenchResult> {
  const now = options.now ?? Date.now;
  const monotonicNow = options.monotonicNow ?? monotonicMs;
  const maxTokens = options.maxTokens ?? 256;
  const model = engine.resolveModel(modelId);
  if (!model) throw new EngineError('unknown_model', `unknown model "${modelId}"`);
  const gpus = model.upstream ? [] : modelGpuIndexes(model);
  const lease = await engine.acquire(model.id, 'manual', { stream: true });
  const draw = new DrawMeter(gpus);
  const unsubscribe = engine.subscribe((event) => event.type === 'gpu.sample' && draw.add(event.samples));
  try {
    const atMs = now();
    const before = (await engine.gpu()).samples;
    const timing = await streamCompletion({ baseUrl: lease.baseUrl, model: lease.modelId, prompt: BENCH_PROMPT, maxTokens, now: monotonicNow });
    if (timing.firstTokenAtMs === null || timing.lastTokenAtMs === null || timing.tokens < 2 || timing.lastTokenAtMs <= timing.firstTokenAtMs) {
      throw new EngineError('too_few_tokens', `${model.id} produced too little to measure (${timing.tokens} token(s))`, {
        tokens: timing.tokens,
        maxTokens,
      });
    }
    const tokPerS = round((timing.tokens - 1) / ((timing.lastTokenAtMs - timing.firstTokenAtMs) / 1000), 2);
    const drawW = draw.meanW() ?? totalDrawW(gpus, (await engine.gpu()).samples);
    const powerDrawW = drawW === null ? null : round(drawW, 1);
    return {
      modelId: model.id,
      atMs,
      tokPerS,
      ttftMs: Math.round(timing.firstTokenAtMs - timing.sentAtMs),
      tokens: timing.tokens,
      gpus,
      powerLimitsW: gpus.map((index) => limitOf(before.find((s) => s.index === index))),
      powerDrawW,
      tokPerW: powerDrawW ? round(tokPerS / powerDrawW, 4) : null,
    };
  } finally {
    unsubscribe();
    lease.release();
  }
}

/** Mean total draw of a set of GPUs over the ticks seen; ticks where a GPU's draw is unknown are skipped. */
class DrawMeter {
  private sumW = 0;
  private ticks = 0;

  constructor(private readonly gpus: number[]) {}

  add(samples: GpuSample[]): void {
    const total = totalDrawW(this.gpus, samples);
    if (total === null) return;
    this.sumW += total;
    this.ticks++;
  }

  meanW(): number | null {
    return this.ticks > 0 ? this.sumW / this.ticks : null;
  }
}

function totalDrawW(gpus: number[], samples: GpuSample[]): number | null {
  if (gpus.length === 0) return null;
  let total = 0;
  for (const index of gpus) {
    const draw = samples.find((s) => s.index === index)?.powerDrawW ?? null;
    if (draw === null) return null;
    total += draw;
  }
  return total;
}

function limitOf(sample: GpuSample | undefined): number | null {
  return sample ? (sample.enforcedPowerLimitW ?? sample.powerLimitW) : null;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
