import type { FailureCause } from '../../../shared/failure.js';
import { LOAD_PHASES, type LoadPhase, type LoadProgress } from '../../../shared/load-phase.js';
import type { LogEvent } from '../../../shared/log-event.js';

/** A failure line seen in the log, in order (input for diagnoseFailure). */
export interface FailureSeen {
  cause: FailureCause;
  detail: string;
}

/** What one load's log has shown so far. */
export interface LoadState {
  progress: LoadProgress;
  torchCompile: boolean;
  /** Batch sizes up to this are torch.compile'd (SGLang's --torch-compile-max-bs, default 32). */
  torchCompileMaxBs: number;
  disableCudaGraph: boolean;
  tpSize?: number;
  servedModelName?: string;
  /** Port from server_args, then from `Uvicorn running on`. */
  port?: number;
  /** Number of CUDA-graph sizes to capture, from `Capture cuda graph bs [...]` or the bar's total. */
  graphTotal?: number;
  /** Bar position when the first torch.compile'd size began, so the compile phase has its own 0..1. */
  compileStartDone?: number;
  failures: FailureSeen[];
  shutdown: boolean;
}

/** Settings known before the log says anything (from the catalog entry); server_args overrides them. */
export interface LoadStateOptions {
  torchCompile?: boolean;
  torchCompileMaxBs?: number;
  disableCudaGraph?: boolean;
}

const DEFAULT_TORCH_COMPILE_MAX_BS = 32;
const MAX_FAILURES_KEPT = 20;

/** The state of a load that has just been launched. */
export function initialLoadState(options: LoadStateOptions = {}): LoadState {
  return {
    progress: { phase: 'launching' },
    torchCompile: options.torchCompile ?? false,
    torchCompileMaxBs: options.torchCompileMaxBs ?? DEFAULT_TORCH_COMPILE_MAX_BS,
    disableCudaGraph: options.disableCudaGraph ?? false,
    failures: [],
    shutdown: false,
  };
}

/**
 * Folds one event into the state; pure. The phase only moves forward: with TP>1 every rank prints its own
 * copy of many lines, late and out of order, so a TP3 `Load weight begin` after TP0's `Load weight end`
 * must not send the load back to `weights`.
 */
export function reduceLoadState(state: LoadState, event: LogEvent): LoadState {
  switch (event.kind) {
    case 'server_args':
      return advance(applyServerArgs(state, event), 'initializing');
    case 'dist_begin':
    case 'dist_end':
      return advance(state, 'initializing');
    case 'weights_begin':
      return advance(state, 'weights', { phaseFraction: 0 });
    case 'shard_progress':
      return shardProgress(state, event.done, event.total);
    case 'weights_end':
    case 'kv_alloc':
    case 'mem_pool_end':
      return advance(state, 'kv_cache');
    case 'graph_begin':
      return advance(state, 'cuda_graphs', { phaseFraction: 0 });
    case 'graph_bs':
      return { ...state, graphTotal: event.batchSizes.length };
    case 'graph_progress':
      return graphProgress(state, event.bs, event.done, event.total);
    case 'graph_end':
      return isInGraphPhase(state) ? { ...state, progress: { ...state.progress, phaseFraction: 1 } } : state;
    case 'http_up':
      return advance({ ...state, port: event.port }, 'warmup');
    case 'max_tokens':
    case 'warmup_req':
    case 'prefill':
      // A prefill or POST /generate before ready is SGLang's own warmup request; after ready this is a no-op.
      return advance(state, 'warmup');
    case 'ready':
      return advance(state, 'ready', { phaseFraction: 1 });
    case 'failure':
      return { ...state, failures: [...state.failures, { cause: event.cause, detail: event.detail }].slice(-MAX_FAILURES_KEPT) };
    case 'shutdown':
      return { ...state, shutdown: true };
    case 'decode':
      return state;
  }
}

function phaseIndex(phase: LoadPhase): number {
  return LOAD_PHASES.indexOf(phase);
}

/** Moves to `phase` if it lies ahead; never back, never re-entering the current phase. */
function advance(state: LoadState, phase: LoadPhase, progress: Omit<LoadProgress, 'phase'> = {}): LoadState {
  if (phaseIndex(phase) <= phaseIndex(state.progress.phase)) return state;
  return { ...state, progress: { phase, ...progress } };
}

function applyServerArgs(state: LoadState, event: Extract<LogEvent, { kind: 'server_args' }>): LoadState {
  return {
    ...state,
    torchCompile: event.torchCompile ?? state.torchCompile,
    torchCompileMaxBs: event.torchCompileMaxBs ?? state.torchCompileMaxBs,
    disableCudaGraph: event.disableCudaGraph ?? state.disableCudaGraph,
    tpSize: event.tpSize ?? state.tpSize,
    servedModelName: event.servedModelName ?? state.servedModelName,
    port: event.port ?? state.port,
  };
}

function shardProgress(state: LoadState, done: number, total: number): LoadState {
  // Shard bars only print while weights load; one seen earlier means the begin line was missed.
  const next = advance(state, 'weights');
  if (next.progress.phase !== 'weights' || total <= 0) return next;
  return { ...next, progress: { phase: 'weights', phaseFraction: done / total, detail: `shard ${done}/${total}` } };
}

function isInGraphPhase(state: LoadState): boolean {
  return state.progress.phase === 'cuda_graphs' || state.progress.phase === 'torch_compile';
}

/**
 * SGLang prints no torch.compile line: sizes up to torch_compile_max_bs are compiled while they are
 * captured (largest first), so the first bar naming such a size starts the torch_compile phase.
 */
function graphProgress(state: LoadState, bs: number | undefined, done: number, total: number): LoadState {
  if (!isInGraphPhase(state) || total <= 0) return state;
  const detail = bs === undefined ? `${done}/${total}` : `bs=${bs} ${done}/${total}`;
  const compiling = state.progress.phase === 'torch_compile' || (state.torchCompile && bs !== undefined && bs <= state.torchCompileMaxBs);
  if (!compiling) {
    return { ...state, graphTotal: total, progress: { phase: 'cuda_graphs', phaseFraction: done / total, detail } };
  }
  const start = state.compileStartDone ?? done;
  const span = total - start;
  const phaseFraction = span > 0 ? (done - start) / span : 1;
  return { ...state, graphTotal: total, compileStartDone: start, progress: { phase: 'torch_compile', phaseFraction, detail } };
}
