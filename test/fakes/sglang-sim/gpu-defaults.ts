// GPU-dependent defaults of ServerArgs (`_handle_gpu_memory_settings` and the capture list).

export interface GpuDefaults {
  chunkedPrefillSize: number;
  cudaGraphMaxBs: number;
}

const GIB_MIB = 1024;

/** chunked_prefill_size and cuda_graph_max_bs from the smallest visible GPU's memory (MiB). */
export function gpuDefaults(gpuMemMiB: number, tpSize: number): GpuDefaults {
  if (gpuMemMiB < 20 * GIB_MIB) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: 8 };
  if (gpuMemMiB < 35 * GIB_MIB) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: tpSize < 4 ? 16 : 80 };
  if (gpuMemMiB < 60 * GIB_MIB) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: tpSize < 4 ? 32 : 160 };
  if (gpuMemMiB < 160 * GIB_MIB) return { chunkedPrefillSize: 8192, cudaGraphMaxBs: tpSize < 4 ? 256 : 512 };
  return { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512 };
}

/** The default --mem-fraction-static: reserve room for activations, graphs and NCCL, keep the rest. */
export function defaultMemFractionStatic(gpuMemMiB: number, chunkedPrefillSize: number, cudaGraphMaxBs: number, tpSize: number, ppSize: number): number {
  let reservedMiB = 512 + Math.max(chunkedPrefillSize, 2048) * 1.5 + cudaGraphMaxBs * 2 + ((tpSize * ppSize) / 8) * 1024;
  if (gpuMemMiB > 60 * GIB_MIB) reservedMiB = Math.max(reservedMiB, 10240);
  return Math.round(((gpuMemMiB - reservedMiB) / gpuMemMiB) * 1000) / 1000;
}

function range(start: number, stopExclusive: number, step: number): number[] {
  const out: number[] = [];
  for (let value = start; value < stopExclusive; value += step) out.push(value);
  return out;
}

/** The CUDA-graph capture batch sizes (no speculative decoding), ascending. */
export function captureBatchSizes(cudaGraphMaxBs: number): number[] {
  const all = [1, 2, 4, 8, 12, ...range(16, 257, 8), ...range(272, 512, 16), ...range(512, cudaGraphMaxBs + 1, 32)];
  return all.filter((bs) => bs <= cudaGraphMaxBs);
}

/** The backend named by `Attention backend not explicitly specified. Use X backend by default.`:
 * fa3 on Hopper-class (assumed for ≥ 60 GiB cards), flashinfer otherwise. */
export function defaultAttentionBackend(gpuMemMiB: number): string {
  return gpuMemMiB >= 60 * GIB_MIB ? 'fa3' : 'flashinfer';
}
