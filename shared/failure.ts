/** Why a model load or a running backend failed, as diagnosed from its log and exit. */
export type FailureCause =
  | 'oom'
  | 'not_enough_memory'
  | 'cuda_graph_capture'
  | 'tp_mismatch'
  | 'invalid_device'
  | 'unbalanced_memory'
  | 'context_too_long'
  | 'port_busy'
  | 'warmup_failed'
  | 'bad_args'
  | 'model_not_found'
  | 'ready_timeout'
  | 'launch_error'
  /** The load showed no progress (no log line, no phase or percent change) for longer than its phase allows. */
  | 'stuck'
  /** A ready server stopped answering on its port (connection refused or reset, /health not 200) while its process lived. */
  | 'unresponsive'
  | 'exited';

/** A diagnosed failure: machine-readable cause, one-line message, one-line fix hint, recent log lines. */
export interface Failure {
  cause: FailureCause;
  /** One line naming what happened, e.g. "CUDA out of memory while loading weights". */
  message: string;
  /** One line saying what to change, e.g. "lower memFractionStatic or contextLength". */
  hint: string;
  /** Phase the load was in when it failed, if known. */
  phase?: string;
  /** Exit code or signal of the backend process, when it exited. */
  exitCode?: number | null;
  exitSignal?: string | null;
  /** The last backend log lines before the failure (bounded). */
  lastLines?: string[];
  /** Unix ms when the failure was recorded. */
  atMs: number;
}
