// The fit estimate: SGLang's own memory arithmetic run ahead of the launch. Pure, no I/O.
//
// Source (sgl-project/sglang, cited at tag v0.5.3; read from stored 0.4/0.5 copies, see README.md):
//   python/sglang/srt/model_executor/model_runner.py
//     ModelRunner.init_torch_distributed → min_per_gpu_memory = free memory of the emptiest GPU
//       after CUDA/NCCL init (logged as `Load weight begin. avail mem=`); passed on as total_gpu_memory.
//     ModelRunner.profile_max_num_token(total_gpu_memory):
//       cell_size = get_num_kv_heads(attn_tp_size) * head_dim * num_layers * 2 * element_size(kv_cache_dtype)
//       (MLA: (kv_lora_rank + qk_rope_head_dim) * num_layers * element_size(kv_cache_dtype), not split by TP)
//       rest_memory = available_gpu_memory(after weights) - total_gpu_memory * (1 - mem_fraction_static)
//       max_num_token = int(rest_memory * (1 << 30) // cell_size)
//     ModelRunner.init_memory_pool: min(max_total_tokens) when --max-total-tokens is set, then
//       `// page_size * page_size`; `if self.max_total_num_tokens <= 0: raise RuntimeError("Not enough memory…")`.
//   python/sglang/srt/configs/model_config.py  ModelConfig.get_num_kv_heads: max(1, total_kv_heads // tp_size).
//   python/sglang/srt/mem_cache/memory_pool.py  MHATokenToKVPool._create_buffers: K and V buffers of
//     (size + page_size, head_num, head_dim) each (the `K size:`/`V size:` of the log); MLATokenToKVPool:
//     one (size + page_size, 1, kv_lora_rank + qk_rope_head_dim) buffer per layer.
// Memory figures are GiB (SGLang's "GB" is bytes / 2**30).

import type { FitEstimate, FitVerdict } from '../../../shared/fit-estimate.js';
import type { ModelGeometry } from './model-geometry.js';

export type { FitEstimate, FitVerdict };

export const GIB = 2 ** 30;

/**
 * What loading the weights costs beyond the weights themselves (CUDA kernel images, allocator rounding,
 * rotary caches): 0.15 GiB, plus 0.14 GiB on each GPU when tp > 1 (communicator buffers). Empirical,
 * calibrated on the `Load weight end … mem usage=` lines of the three real fixture logs (0.5B tp1:
 * +0.17, 3B tp1: +0.13, 32B tp4: +0.29 GiB over the bytes of the weights), so the weight and token
 * accuracy on those logs is in-sample; the KV bytes per token are SGLang's formula and exact. A learned
 * figure from the model's own last load replaces the whole weight estimate.
 */
export const LOAD_OVERHEAD_GIB = 0.15;
export const TP_LOAD_OVERHEAD_GIB = 0.14;

/**
 * What the CUDA context and torch.distributed take on each GPU before SGLang measures `avail mem`
 * (the fixture logs show 0.4–1.6 GiB between nvidia-smi's free memory and `Load weight begin`), until
 * a load on this host at the same TP taught the real figure (LearnedFitStore.reserveAt).
 */
export const CONTEXT_RESERVE_GIB = 0.6;

export type KvCacheDtype = 'auto' | 'fp8_e4m3' | 'fp8_e5m2' | 'bfloat16' | 'float16' | 'float32';

export interface FitInput {
  geometry: ModelGeometry;
  tp: number;
  /** Bytes of the weights of the whole model as loaded (see weightBytes), or null to count parameters. */
  weightBytes: number | null;
  /** A learned `mem usage` of this model's last load (GiB per GPU); replaces the weight estimate. */
  learnedWeightGib?: number | null;
  contextLength?: number | undefined;
  /** The catalog's memFractionStatic; else SGLang's default (defaultMemFractionStatic). */
  memFractionStatic?: number | undefined;
  kvCacheDtype?: KvCacheDtype;
  maxTotalTokens?: number | undefined;
  pageSize?: number;
  /**
   * Free memory of the emptiest chosen GPU as SGLang measures it at `Load weight begin` (GiB). From
   * nvidia-smi use preLoadAvailGib(); null = no GPU data (verdict unknown).
   */
  preLoadAvailGib: number | null;
  /** That GPU's total memory (GiB), for the default memFractionStatic and the message. */
  gpuTotalGib?: number | null;
  /** Which GPU is the emptiest, for the message ("GPU 1"). */
  gpuLabel?: string;
}

/** Bytes per element of the KV cache: `auto` follows the model dtype, 16-bit when the checkpoint is fp32 (SGLang downcasts). */
export function kvElementBytes(kvCacheDtype: KvCacheDtype, geometry: ModelGeometry): number {
  if (kvCacheDtype === 'fp8_e4m3' || kvCacheDtype === 'fp8_e5m2') return 1;
  if (kvCacheDtype === 'float32') return 4;
  if (kvCacheDtype === 'auto' && geometry.declaredKvDtype === 'fp8_e4m3') return 1;
  return 2;
}

/** SGLang's cell_size (model_runner.py profile_max_num_token, v0.5.3): KV bytes per token on one GPU. */
export function kvBytesPerToken(geometry: ModelGeometry, tp: number, kvCacheDtype: KvCacheDtype = 'auto'): number {
  const element = kvElementBytes(kvCacheDtype, geometry);
  if (geometry.mla) return (geometry.mla.kvLoraRank + geometry.mla.qkRopeHeadDim) * geometry.layers * element;
  const headsPerGpu = Math.max(1, Math.floor(geometry.kvHeads / tp));
  return headsPerGpu * geometry.headDim * geometry.layers * 2 * element;
}

/** Bytes of the weights from the parameter count: quantized linear layers at their bit width, embeddings and the rest 16-bit. */
export function weightBytesFromParams(geometry: ModelGeometry): number {
  if (geometry.quantBits === null) return geometry.paramCount * 2;
  const linear = geometry.paramCount - geometry.embeddingParamCount;
  return linear * (geometry.quantBits / 8) * 1.02 + geometry.embeddingParamCount * 2;
}

/**
 * Bytes the weights take once loaded, from the checkpoint's bytes on disk (safetensors index
 * `total_size` or the files' sizes): an fp32 checkpoint is loaded as 16-bit (dtype auto), so half.
 */
export function weightBytesFromCheckpoint(checkpointBytes: number, geometry: ModelGeometry): number {
  return geometry.checkpointDtype === 'float32' && geometry.quantMethod === null ? checkpointBytes / 2 : checkpointBytes;
}

/**
 * SGLang's default --mem-fraction-static when the catalog gives none (server_args.py, v0.4.x table by
 * TP size). Newer versions derive it from the GPU size and chunked-prefill/cuda-graph settings; this is
 * an approximation, a catalog value is exact.
 */
export function defaultMemFractionStatic(tp: number): number {
  if (tp >= 16) return 0.79;
  if (tp >= 8) return 0.81;
  if (tp >= 4) return 0.85;
  if (tp >= 2) return 0.87;
  return 0.88;
}

/** `avail mem` at `Load weight begin`, from nvidia-smi's total and used MiB of the emptiest chosen GPU. */
export function preLoadAvailGib(totalMiB: number, usedMiB: number, reserveGib = CONTEXT_RESERVE_GIB): number {
  return Math.max(0, (totalMiB - usedMiB) / 1024 - reserveGib);
}

export function estimateFit(input: FitInput): FitEstimate {
  const { geometry, tp } = input;
  const kvDtype = input.kvCacheDtype ?? 'auto';
  const cell = kvBytesPerToken(geometry, tp, kvDtype);
  const mfs = input.memFractionStatic ?? defaultMemFractionStatic(tp);
  const learned = input.learnedWeightGib ?? null;
  const weightsSource = learned !== null ? 'learned' : input.weightBytes !== null ? 'files' : 'params';
  const overhead = LOAD_OVERHEAD_GIB + (tp > 1 ? TP_LOAD_OVERHEAD_GIB : 0);
  const weightsPerGpuGib = learned ?? (input.weightBytes ?? weightBytesFromParams(geometry)) / tp / GIB + overhead;
  const base = {
    weightsPerGpuGib,
    weightsSource,
    kvBytesPerToken: cell,
    kvBytesPerTokenAllGpus: cell * tp,
    memFractionStatic: mfs,
  } as const;
  const gpu = input.gpuLabel ?? 'the GPU';
  if (input.preLoadAvailGib === null) {
    return {
      ...base,
      verdict: 'unknown',
      kvTokens: null,
      kvPoolGib: null,
      shortfallGib: 0,
      summary: `weights ${gib(weightsPerGpuGib)}/GPU, KV ${cell.toLocaleString('en-US')} B/token per GPU; no GPU data`,
    };
  }
  const total = input.preLoadAvailGib;
  const afterWeights = total - weightsPerGpuGib;
  const rest = afterWeights - total * (1 - mfs);
  let tokens = Math.max(0, Math.floor((rest * GIB) / cell));
  if (input.maxTotalTokens !== undefined) tokens = Math.min(tokens, input.maxTotalTokens);
  const page = input.pageSize ?? 1;
  tokens = Math.floor(tokens / page) * page;
  const kvPoolGib = (tokens * cell) / GIB;
  const context = input.contextLength;
  let verdict: FitVerdict;
  let shortfallGib = 0;
  let why: string;
  if (afterWeights <= 0) {
    verdict = 'will_not_fit';
    shortfallGib = -afterWeights;
    why = `the weights (${gib(weightsPerGpuGib)}) do not fit in the ${gib(total)} free on ${gpu}: ${gib(shortfallGib)} short`;
  } else if (tokens <= 0) {
    verdict = 'will_not_fit';
    shortfallGib = -rest + cell / GIB;
    why = `after the weights (${gib(weightsPerGpuGib)}) no KV cache fits on ${gpu} at memFractionStatic ${mfs}: ${gib(shortfallGib)} short`;
  } else if (context !== undefined && tokens < context) {
    verdict = 'tight';
    why = `${tokens.toLocaleString('en-US')} tokens of KV fit on ${gpu}, fewer than one ${context.toLocaleString('en-US')}-token context`;
  } else {
    verdict = 'fits';
    why = `${tokens.toLocaleString('en-US')} tokens of KV fit on ${gpu}${context !== undefined ? ` (${Math.floor(tokens / context)}× the ${context.toLocaleString('en-US')}-token context)` : ''}`;
  }
  return {
    ...base,
    verdict,
    kvTokens: tokens,
    kvPoolGib,
    shortfallGib,
    summary: `${why}; weights ${gib(weightsPerGpuGib)}/GPU, KV ${cell.toLocaleString('en-US')} B/token per GPU, ${gib(total)} free before load`,
  };
}

function gib(value: number): string {
  return `${value.toFixed(2)} GiB`;
}
