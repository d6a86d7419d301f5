import type { GpuAvailability, GpuSample } from '../../../shared/gpu-types.js';

/** Receives every GPU's sample of one tick, in index order. */
export type GpuSamplesListener = (samples: GpuSample[]) => void;

/** Live GPU telemetry as the engine consumes it; GpuSampler is the nvidia-smi implementation. */
export interface GpuTelemetry {
  /** Whether samples are coming, or why not ("no NVIDIA GPU found (…)"). */
  state(): GpuAvailability;
  /** The most recent tick, one sample per GPU; empty before the first. */
  latest(): GpuSample[];
  /** One GPU's samples oldest first, bounded (default 1 h at 1 s); those at or after `sinceMs` when given. */
  history(gpuUuid: string, sinceMs?: number): GpuSample[];
  /** Calls `listener` on each tick; returns the unsubscribe function. */
  subscribe(listener: GpuSamplesListener): () => void;
}
