/** Phases a backend slot passes through while a model loads, in order. */
export const LOAD_PHASES = ['stopping', 'launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'torch_compile', 'warmup', 'ready'] as const;

/** One phase of a model load (see LOAD_PHASES for the order). */
export type LoadPhase = (typeof LOAD_PHASES)[number];

/** Human label for each phase, used by the CLI, the router's status text and the UI. */
export const LOAD_PHASE_LABELS: Record<LoadPhase, string> = {
  stopping: 'Stopping previous model',
  launching: 'Launching SGLang',
  initializing: 'Initializing (torch distributed)',
  weights: 'Loading weights',
  kv_cache: 'Allocating KV cache',
  cuda_graphs: 'Capturing CUDA graphs',
  torch_compile: 'torch.compile',
  warmup: 'Warming up',
  ready: 'Ready',
};

/** Where a load stands: its phase, progress inside the phase (0..1) and a short detail such as "3/9 shards". */
export interface LoadProgress {
  phase: LoadPhase;
  /** Progress inside the current phase, 0..1, when SGLang reports it (shards, CUDA-graph batches). */
  phaseFraction?: number;
  /** Short human detail, e.g. "shard 3/9" or "bs=32 44/52". */
  detail?: string;
}
