// The GPU memory numbers one scheduler rank would print, computed with SGLang's formulas
// (profile_max_num_token, request pool sizing) from a simulated GPU of `gpuMemMiB`.
import type { ModelDir } from './model-dir.js';
import { dtypeBytes, linearBytesPerParam } from './quantization.js';

const GIB = 1 << 30;

export interface MemoryPlanInput {
  gpuMemMiB: number;
  tpSize: number;
  model: ModelDir;
  quant: string | undefined;
  modelDtype: string;
  kvDtype: string;
  memFractionStatic: number;
  contextLen: number;
  captureCount: number;
  maxTotalTokensFlag: number | null;
  maxRunningRequestsFlag: number | null;
}

export interface MemoryPlan {
  /** torch's "total capacity" for OOM messages. */
  capacityGiB: number;
  /** What a rank holds before torch.distributed: CUDA context and library handles. */
  contextGiB: number;
  distUsageGiB: number;
  loadBeginAvailGiB: number;
  weightsGiB: number;
  loadEndAvailGiB: number;
  /** Shard index (0-based) during which loading runs out of memory, if the weights do not fit. */
  weightOomShard: number | undefined;
  bytesPerToken: number;
  /** ≤ 0 means "Not enough memory". */
  maxTotalNumTokens: number;
  kvSizeGiB: number;
  /** Allocated with the KV pool but outside the memory saver's `kv_cache` region (workspaces, req pools). */
  kvOverheadGiB: number;
  poolEndAvailGiB: number;
  /** Allocated before the first capture (graph memory pool setup, custom all-reduce buffers). */
  graphOverheadGiB: number;
  graphBeginAvailGiB: number;
  graphMemGiB: number;
  graphEndAvailGiB: number;
  maxRunningRequests: number;
  maxReqInputLen: number;
}

/** Per-rank weight size: the real shard bytes when present, else an estimate from config.json. */
export function estimateWeightsGiB(model: ModelDir, quant: string | undefined, dtype: string, tpSize: number): number {
  if (model.shardBytes >= 256 * 1024 * 1024) return model.shardBytes / tpSize / GIB;
  const h = model.hiddenSize;
  const attention = h * model.numHeads * model.headDim * 2 + h * model.numKvHeads * model.headDim * 2;
  const mlp = model.numExperts > 0 ? model.numExperts * 3 * h * model.moeIntermediateSize + h * model.numExperts : 3 * h * model.intermediateSize;
  const linearParams = model.numLayers * (attention + mlp);
  const embedParams = model.vocabSize * h * (model.tieEmbeddings ? 1 : 2);
  const bytes = linearParams * linearBytesPerParam(quant, dtype) + embedParams * dtypeBytes(dtype);
  return bytes / tpSize / GIB;
}

export function kvBytesPerToken(model: ModelDir, kvDtype: string, tpSize: number): number {
  const bytes = dtypeBytes(kvDtype);
  if (model.mlaKvDim !== undefined) return model.mlaKvDim * model.numLayers * bytes;
  const headsPerRank = Math.max(1, Math.floor(model.numKvHeads / tpSize));
  return 2 * headsPerRank * model.headDim * model.numLayers * bytes;
}

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const totalGiB = input.gpuMemMiB / 1024;
  const capacityGiB = totalGiB - 0.44;
  const contextGiB = 0.48;
  const distUsageGiB = input.tpSize > 1 ? 0.12 + 0.25 * input.tpSize : 0;
  const loadBeginAvailGiB = totalGiB - contextGiB - distUsageGiB;
  const weightsGiB = estimateWeightsGiB(input.model, input.quant, input.modelDtype, input.tpSize);
  const fits = weightsGiB < loadBeginAvailGiB - 0.05;
  const weightOomShard = fits ? undefined : Math.min(input.model.shardCount - 1, Math.floor((input.model.shardCount * loadBeginAvailGiB) / weightsGiB));
  const loadEndAvailGiB = loadBeginAvailGiB - weightsGiB;

  const bytesPerToken = kvBytesPerToken(input.model, input.kvDtype, input.tpSize);
  const restGiB = loadEndAvailGiB - loadBeginAvailGiB * (1 - input.memFractionStatic);
  let maxTotalNumTokens = Math.floor((restGiB * GIB) / bytesPerToken);
  if (input.maxTotalTokensFlag !== null && input.maxTotalTokensFlag < maxTotalNumTokens) maxTotalNumTokens = input.maxTotalTokensFlag;
  const kvSizeGiB = (Math.max(0, maxTotalNumTokens) * bytesPerToken) / GIB;

  const kvOverheadGiB = 0.35 + 0.0125 * totalGiB;
  const poolEndAvailGiB = loadEndAvailGiB - kvSizeGiB - kvOverheadGiB;
  const graphOverheadGiB = input.tpSize > 1 ? 0.32 : 0.09;
  const graphBeginAvailGiB = poolEndAvailGiB - graphOverheadGiB;
  const graphMemGiB = input.captureCount * (input.tpSize > 1 ? 0.0425 : 0.022);
  const graphEndAvailGiB = graphBeginAvailGiB - graphMemGiB;

  const reqPool = input.maxRunningRequestsFlag ?? Math.min(Math.max(Math.floor((maxTotalNumTokens / input.contextLen) * 512), 2048), 4096);
  return {
    capacityGiB,
    contextGiB,
    distUsageGiB,
    loadBeginAvailGiB,
    weightsGiB,
    loadEndAvailGiB,
    weightOomShard,
    bytesPerToken,
    maxTotalNumTokens,
    kvSizeGiB,
    kvOverheadGiB,
    poolEndAvailGiB,
    graphOverheadGiB,
    graphBeginAvailGiB,
    graphMemGiB,
    graphEndAvailGiB,
    maxRunningRequests: Math.max(1, Math.min(Math.floor(maxTotalNumTokens / 2), reqPool)),
    maxReqInputLen: Math.min(input.contextLen - 1, maxTotalNumTokens - 1) - 5,
  };
}

/** Which allocations one rank holds at a given moment (load phases, release/resume). */
export interface HeldMemory {
  weights: boolean;
  kvCache: boolean;
  /** The KV pool's neighbours outside the `kv_cache` region: allocated once, never released. */
  kvOverhead: boolean;
  graphs: boolean;
}

/**
 * What `nvidia-smi` would show for one scheduler rank, in MiB: CUDA context + torch.distributed + the held
 * regions. With everything held this is the GPU total minus SGLang's final `avail mem`, i.e. the same numbers
 * the load log prints.
 */
export function rankFootprintMiB(plan: MemoryPlan, held: HeldMemory): number {
  let gib = plan.contextGiB + plan.distUsageGiB;
  if (held.weights) gib += plan.weightsGiB;
  if (held.kvCache) gib += plan.kvSizeGiB;
  if (held.kvOverhead) gib += plan.kvOverheadGiB;
  if (held.graphs) gib += plan.graphOverheadGiB + plan.graphMemGiB;
  return Math.round(gib * 1024);
}

/** PyTorch's CUDA OOM text for an allocation of `tryMiB` on a GPU with `capacityGiB`. */
export function cudaOomMessage(tryMiB: number, capacityGiB: number, gpuIndex = 0): string {
  const freeMiB = Math.min(tryMiB * 0.7, 412.75);
  const inUseGiB = capacityGiB - freeMiB / 1024;
  const allocatedGiB = inUseGiB - 0.46;
  return (
    `CUDA out of memory. Tried to allocate ${tryMiB.toFixed(2)} MiB. GPU ${gpuIndex} has a total capacity of ${capacityGiB.toFixed(2)} GiB ` +
    `of which ${freeMiB.toFixed(2)} MiB is free. Including non-PyTorch memory, this process has ${inUseGiB.toFixed(2)} GiB memory in use. ` +
    `Of the allocated memory ${allocatedGiB.toFixed(2)} GiB is allocated by PyTorch, and 51.31 MiB is reserved by PyTorch but unallocated. ` +
    'If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  ' +
    'See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)'
  );
}
