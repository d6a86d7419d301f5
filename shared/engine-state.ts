import type { Failure } from './failure.js';
import type { FitComparison } from './fit-estimate.js';
import type { AppliedPowerLimit, GpuAvailability, GpuSample, HostStats } from './gpu-types.js';
import type { BenchResult, ThroughputSample } from './throughput.js';
import type { LoadPhase, LoadProgress } from './load-phase.js';

/** A model's state as clients see it (the llama.cpp-router `status.value` Open WebUI reads). */
/** `sleeping`: a warm model whose server runs with its GPU memory released (switchMode warm); a request wakes it. */
export type ModelStatus = 'unloaded' | 'loading' | 'loaded' | 'sleeping' | 'failed';

/**
 * A backend slot's state machine: stopped → starting → loading → ready; stopping; failed. A warm
 * model's slot also goes ready → releasing → sleeping (process and port kept, GPU memory released)
 * → waking → ready; any failure on that path stops the server and the next load is cold.
 */
export type SlotStatus = 'stopped' | 'starting' | 'loading' | 'ready' | 'releasing' | 'sleeping' | 'waking' | 'stopping' | 'failed';

/**
 * What made a load or unload happen: a router request, the UI/tray ('manual'), the CLI, the
 * catalog's preload list, an idle timeout, the return to the default model, an eviction (another
 * model needed the GPUs), the engine stopping, a server an earlier run of the engine left running
 * that this one took over at start ('adopt': no load took place), or a server found dead while it
 * served ('crash': an unload nobody asked for).
 */
export type SwitchCause = 'request' | 'manual' | 'cli' | 'preload' | 'idle' | 'default' | 'evict' | 'stop' | 'adopt' | 'crash';

/** One backend slot (one SGLang server on one port). */
export interface SlotView {
  id: string;
  status: SlotStatus;
  /** The model the slot holds or is loading; null when stopped with nothing selected. */
  modelId: string | null;
  progress?: LoadProgress;
  /** Unix ms when the current load started. */
  loadStartedAtMs?: number;
  /** Unix ms when the current model became ready. */
  readyAtMs?: number;
  /** While sleeping: since when (unix ms). */
  sleptAtMs?: number;
  /** Estimated ms until ready, from this model's load history; null when unknown. */
  etaMs?: number | null;
  /**
   * While loading: when the load last showed progress (a log line, a phase or percent change), after
   * how long without any the UI says "no progress for N s", and when the engine calls it stuck.
   */
  stall?: { lastProgressAtMs: number; warnAfterMs: number; limitMs: number };
  failure?: Failure;
  /** While loading and once ready: the model's memory as the fit estimate predicted it and as SGLang reported it. */
  fit?: FitComparison;
  pid?: number;
  host: string;
  port: number;
  /** The GPUs this slot's models use; null = all GPUs (models without a `gpus` list). */
  gpus?: number[] | null;
  /** The switch under way (draining the current model, stopping it, or loading), if any. */
  pending?: QueuedSwitch;
  /** Switches waiting their turn behind the current one, in FIFO order. */
  queue: QueuedSwitch[];
  /** True while a switch waits for the current model's in-flight requests to finish. */
  draining?: boolean;
}

/** A switch waiting behind another one. */
export interface QueuedSwitch {
  modelId: string;
  /** How many callers wait for this model. */
  waiters: number;
  cause: SwitchCause;
}

/** One catalog model as the API shows it. */
export interface ModelView {
  id: string;
  label: string;
  aliases: string[];
  /** 'launch' = built from catalog fields; 'script' = legacy start script; 'upstream' = served elsewhere. */
  kind: 'launch' | 'script' | 'upstream';
  status: ModelStatus;
  /** Present while loading. */
  progress?: LoadProgress;
  etaMs?: number | null;
  /** Median full load time from history, ms; null when never loaded. */
  typicalLoadMs: number | null;
  lastFailure?: Failure;
  tp: number;
  gpus?: number[];
  /** Requests being served by this model right now. */
  inFlight: number;
  /** Requests waiting for a free place under the model's maxConcurrent (not counted in inFlight). */
  queued: number;
  /** The catalog's maxConcurrent (requests at once) and maxQueued (more may wait); absent = no limit. */
  limit?: { maxConcurrent: number; maxQueued: number };
  /** The slot (GPU set) it runs in. */
  slotId?: string;
  pinned?: boolean;
  /** Warm models (catalog switchMode warm): put to sleep instead of stopped when another model needs the GPUs. */
  warm?: boolean;
  /** Seconds without requests before it is unloaded; 0 = never. */
  idleUnloadS?: number;
  /** While loaded and idle: when the idle unload will happen (unix ms). */
  idleUnloadAtMs?: number;
}

/**
 * One client request the router holds: `queued` for a free place under its model's maxConcurrent,
 * `waiting` for its model (loading, or a switch ahead), or `active` (being served).
 */
export interface RouterRequestView {
  id: string;
  modelId: string;
  state: 'queued' | 'waiting' | 'active';
  /** 1-based place (FIFO): among all waiting requests, or, when queued, in its model's queue; absent once active. */
  position?: number;
  sinceMs: number;
  stream: boolean;
}

/** The whole engine state, as `GET /api/state` returns it. */
export interface EngineState {
  version: string;
  startedAtMs: number;
  /** The model that is loaded and ready, or null (with several, the first by slot id; see activeModels). */
  activeModel: string | null;
  /** Every model loaded and ready, one per slot. */
  activeModels: string[];
  slots: SlotView[];
  /** The catalog's `preload` list (started with the engine) and `defaultModel` (returned to after an idle unload). */
  preload: string[];
  defaultModel: string | null;
  models: ModelView[];
  /** Requests the router holds, waiting ones first in FIFO order. */
  requests: RouterRequestView[];
  configPath: string;
  /** Whether GPU telemetry works on this host ("no NVIDIA GPU found (…)" otherwise). */
  gpu?: GpuAvailability;
  /**
   * What the engine wants the user to know that belongs to no single model: a state dir it cannot
   * write, a leftover server it stopped or adopted at start. Oldest first; each has a stable id.
   */
  notices: EngineNotice[];
  /**
   * Present only while the engine runs in setup mode: it was started on a catalog file that does not
   * exist yet (first run), with an empty catalog. The UI shows its first-run screen (import start
   * scripts, add a model, try the simulated host) instead of the usual screens; the first catalog
   * written through the engine ends it (the field is then absent).
   */
  setup?: EngineSetup;
}

/** What the first-run screen needs to know about the engine in setup mode. */
export interface EngineSetup {
  /** Where the first catalog write creates the catalog file (parent folders too). */
  catalogPath: string;
}

/** One thing the UI shows above every screen and `switchboard status` prints, until it is cleared. */
export interface EngineNotice {
  /** Stable per cause (e.g. `state-dir:swap-history`): a newer notice with the same id replaces the older. */
  id: string;
  /** `error`: something does not work (a write fails); `warning`: it works, but not as configured; `info`: done for you. */
  level: 'info' | 'warning' | 'error';
  message: string;
  atMs: number;
}

/** One backend log line with its origin. */
export interface LogLine {
  /** Monotonic sequence number across the engine's lifetime. */
  seq: number;
  atMs: number;
  stream: 'stdout' | 'stderr' | 'engine';
  text: string;
  modelId: string | null;
}

/** Outcome of one finished load, as recorded in the history. */
export interface LoadRecord {
  modelId: string;
  startedAtMs: number;
  endedAtMs: number;
  outcome: 'ready' | 'failed' | 'cancelled';
  cause: SwitchCause;
  /** Milliseconds spent in each phase that was seen. */
  phaseMs: Partial<Record<LoadPhase, number>>;
  failure?: Pick<Failure, 'cause' | 'message'>;
  /** The model's power profile as applied before the launch (catalog `powerLimitW`). */
  powerLimits?: AppliedPowerLimit[];
  /** The slot it loaded in (absent in records written before slots existed). */
  slotId?: string;
  /** Who asked: the router request, or the model that was asked for. */
  trigger?: { forModel?: string; requestId?: string };
}

/**
 * One entry of the swap history: a model loaded (with its outcome) or unloaded, and why; for warm
 * models also put to sleep (`sleep`, its GPU memory released) and woken (`wake`, with its outcome and duration).
 */
export interface SwapRecord {
  atMs: number;
  action: 'load' | 'unload' | 'sleep' | 'wake';
  modelId: string;
  slotId: string;
  cause: SwitchCause;
  /** Unloads by eviction: the model that needed the GPUs. Loads: the model asked for (alias resolved). */
  forModel?: string;
  /** Loads caused by a router request: its id (as in the state's request list). */
  requestId?: string;
  /** Loads and wakes. */
  outcome?: LoadRecord['outcome'];
  /** Loads and wakes: from start to ready or failure; sleeps: how long the release took. */
  durationMs?: number;
  /** Sleeps and wakes that did not go to plan: why the server was stopped instead (the next load is cold). */
  fallback?: string;
}

/** Events the engine pushes (SSE `/api/events`, later the WebSocket and IPC). */
export type EngineEvent =
  | { type: 'state'; state: EngineState }
  | { type: 'log'; line: LogLine }
  | { type: 'load'; record: LoadRecord }
  /** One per sampling tick: every GPU's sample and the latest host reading. */
  | { type: 'gpu.sample'; samples: GpuSample[]; host: HostStats | null }
  | { type: 'throughput'; sample: ThroughputSample }
  | { type: 'bench'; result: BenchResult }
  /** A model was loaded or unloaded (the swap history's newest entry). */
  | { type: 'swap'; record: SwapRecord }
  /** The catalog file was rewritten through the engine (models added, edited, removed; settings). */
  | { type: 'catalog'; revision: string };

/** Errors crossing the API: the UI and CLI branch on `code`. */
export interface ApiError {
  code:
    | 'unknown_model'
    | 'bad_request'
    | 'load_failed'
    | 'not_found'
    | 'conflict'
    | 'internal'
    /** No or a wrong key: send one (401). */
    | 'unauthorized'
    /** Refused whatever the key: a foreign web page, a foreign Host name (403). */
    | 'forbidden'
    /** A body that is not JSON where JSON is required (415). */
    | 'unsupported_media_type'
    /**
     * A benchmark got fewer than two tokens, or no time between its first and last, so there is no rate
     * to report (422: the request was valid, the run produced nothing measurable; ask for more tokens).
     */
    | 'too_few_tokens'
    /**
     * The fit estimate says the model cannot load on its GPUs now (weights or no KV room): refused
     * before anything is launched; details carry the GPU's shortfall (409: free the GPUs, or switch with force).
     */
    | 'will_not_fit'
    /**
     * The model has its catalog maxConcurrent requests running and maxQueued more waiting for a free
     * place: refused before anything was sent (429: try again later).
     */
    | 'too_many_requests'
    | 'unavailable';
  message: string;
  /** Extra machine-readable detail, e.g. the known ids for unknown_model. */
  details?: Record<string, unknown>;
}
