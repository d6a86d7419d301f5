// The state shared by the HTTP routes, the warmup and the shutdown logic of one simulated server.
import type { SimLogger } from './log-writer.js';
import type { MemoryOccupation } from './memory-occupation.js';
import type { MemoryPlan } from './memory-plan.js';
import type { SimMetrics } from './metrics-text.js';
import type { ModelDir } from './model-dir.js';
import type { ProcessTree } from './process-tree.js';
import type { Scheduler } from './scheduler.js';
import type { ServerArgs } from './server-args-repr.js';
import type { SimEnv } from './sim-env.js';

/** tokenizer_manager.ServerStatus */
export type ServerStatus = 'Starting' | 'Up' | 'UnHealthy';

export interface SimApp {
  env: SimEnv;
  args: ServerArgs;
  log: SimLogger;
  model: ModelDir;
  plan: MemoryPlan;
  tree: ProcessTree;
  scheduler: Scheduler;
  metrics: SimMetrics;
  status: ServerStatus;
  /** Set once SIGTERM was received (graceful drain). */
  gracefullyExiting: boolean;
  contextLen: number;
  servedModelName: string;
  startedAtMs: number;
  loadWeightsS: number;
  /** User requests in flight (tokenizer_manager.rid_to_state). */
  inFlight: Set<string>;
  /** The first user request after warmup crashes the scheduler (SGLANG_SIM_FAIL=crash-mid-stream). */
  crashMidStream: boolean;
  /** offload_tags, torch_memory_saver state, GPU memory per rank (release/resume_memory_occupation). */
  memory: MemoryOccupation;
  /** HEALTH_CHECK_TIMEOUT, simulated seconds. */
  healthCheckTimeoutS: number;
}
