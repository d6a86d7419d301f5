// The one engine contract: what the UI (renderer, tray) may ask the engine and what it hears back.
// Two transports carry it with generic code (Electron IPC and the WebSocket at /api/ws); both
// dispatch by the runtime name lists below, which the compiler checks against the types.
import type { FitEstimate } from './fit-estimate.js';
import type { CatalogIssue, LoadingMessageStyle, ModelEntry, ModelEntryInput } from './catalog-schema.js';
import type { ApiError, EngineEvent, EngineState, LoadRecord, LogLine, ModelView, SlotView, SwapRecord, SwitchCause } from './engine-state.js';
import type { GpuOverview, GpuSample, PendingPowerLimit, PowerPresetResult } from './gpu-types.js';
import type { BenchHistoryView, BenchResult, ThroughputSample } from './throughput.js';
import type { RequestLogFilter, RequestRecord } from './request-log.js';

/** Protocol version of the envelopes below; bumped on any incompatible change. */
export const API_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Catalog editing

/** The catalog file as the editor sees it. `revision` guards against editing a file that changed meanwhile. */
export interface CatalogDocument {
  path: string;
  /** The file's YAML text, exactly as on disk. */
  text: string;
  /** sha256 of `text`, hex. Pass it back as `expectedRevision` to refuse a write over someone else's change. */
  revision: string;
  /** Every model entry (defaults filled). */
  models: ModelEntry[];
  /** Warnings of the catalog as it is (errors cannot occur: the engine runs on a valid catalog). */
  issues: CatalogIssue[];
}

/** One line of a unified line diff between the catalog on disk and the catalog after a change. */
export interface DiffLine {
  kind: 'same' | 'add' | 'remove';
  text: string;
  /** 1-based line in the old (same/remove) or new (add) text. */
  oldLine?: number;
  newLine?: number;
}

/** What a catalog change would do: checked, and shown before anything is written. */
export interface CatalogChangePreview {
  /** False when `issues` has errors: saving would be refused. */
  ok: boolean;
  /** Errors and warnings of the catalog after the change; fields like "models[3].tp". */
  issues: CatalogIssue[];
  /** Issues of the edited model alone, keyed by its field ("tp", "modelPath", …) for inline display. */
  fieldIssues: Record<string, CatalogIssue[]>;
  /** The new file text (comments and layout of the rest kept). */
  text: string;
  diff: DiffLine[];
  /** The revision the preview was computed against. */
  revision: string;
  /**
   * Adds and edits: the fit estimate of the model as drafted, on the GPUs as they are now (null when
   * the draft is not a valid entry or there is nothing to estimate from).
   */
  fit?: FitEstimate | null;
}

/** After a successful write: the new document and whether the running engine took it as it is. */
export interface CatalogChangeResult {
  document: CatalogDocument;
  /** Settings that only take effect after a restart of the engine (e.g. "router.port"). Empty when all applied. */
  restartRequired: string[];
}

/** A catalog change the editor can preview and then apply. */
export type CatalogChange = { op: 'add'; model: ModelEntryInput } | { op: 'edit'; id: string; model: ModelEntryInput } | { op: 'remove'; id: string } | { op: 'settings'; settings: SettingsPatch };

/** Something the start-script importer noticed. 'error' = that script was not imported. */
export interface ImportNote {
  line?: number;
  severity: 'info' | 'warning' | 'error';
  message: string;
}

/** What happened to one start script. */
export interface ImportReport {
  script: string;
  /** The id of the entry made from it, when one was made. */
  id?: string;
  /** The launcher the script used, as a value for `sglang.command`. */
  suggestedCommand?: string[];
  notes: ImportNote[];
}

/** Start scripts to import: files or a folder on the engine's host, or script texts (a browser upload). */
export interface ImportScriptsParams {
  /** A folder whose `start_sglang_*.sh` files are read, or single script files. */
  paths?: string[];
  scripts?: { name: string; text: string }[];
  /** false: only preview; true: write the merged catalog (guarded by expectedRevision when given). */
  apply: boolean;
  expectedRevision?: string;
}

export interface ImportScriptsResult {
  reports: ImportReport[];
  added: string[];
  skipped: { id: string; reason: string }[];
  preview: CatalogChangePreview;
  /** Present when apply was true and the write happened. */
  applied?: CatalogChangeResult;
}

// ---------------------------------------------------------------------------------------------
// Settings

/** The engine-wide settings the UI shows and may change (the catalog's top-level sections). */
export interface Settings {
  configPath: string;
  version: string;
  router: { host: string; port: number; loadingMessages: LoadingMessageStyle; apiKeyCount: number; adminKeyCount: number };
  backend: { kind: 'process' | 'systemd'; unit?: string; drainTimeoutS: number; readyTimeoutS: number; stopTimeoutS: number; maxSleepers: number; sleepTimeoutS: number };
  gpu: { presetsW: number[]; sampleIntervalMs: number; historyS: number };
}

/** The settings a client may change. Changing host or port needs a restart (reported in restartRequired). */
export interface SettingsPatch {
  router?: { host?: string; port?: number; loadingMessages?: LoadingMessageStyle };
  backend?: { drainTimeoutS?: number; readyTimeoutS?: number; stopTimeoutS?: number; maxSleepers?: number; sleepTimeoutS?: number };
  gpu?: { presetsW?: number[] };
}

// ---------------------------------------------------------------------------------------------
// First run

/** `setup.startSimulatedHost`'s answer: the catalog written; the engine restarts on it right after replying. */
export interface SimulatedHostStart {
  configPath: string;
  restarting: true;
}

// ---------------------------------------------------------------------------------------------
// The methods

/** The causes a client may claim for a switch or a stop (load history, swap log); 'manual' when not given. */
export type ClientSwitchCause = Extract<SwitchCause, 'manual' | 'cli'>;

/** Every method: its one params object and its result. Add a method here, to API_METHOD_NAMES and to the handlers. */
export interface ApiMethods {
  /** The whole engine state (slots, models, requests); the `state` event carries the same. */
  'state.get': { params: Record<string, never>; result: EngineState };

  'models.list': { params: Record<string, never>; result: ModelView[] };
  /**
   * Starts a switch. wait=false (default) returns once it is queued; wait=true when the model is ready or failed.
   * Refused with `will_not_fit` (before anything is stopped or launched) when the fit estimate says the model
   * cannot load on its GPUs; force=true skips that check.
   */
  'models.switchTo': { params: { model: string; wait?: boolean; cause?: ClientSwitchCause; force?: boolean }; result: SlotView };
  'models.stop': { params: { cause?: ClientSwitchCause }; result: { stopped: true } };
  /**
   * The fit estimate of a launch of the model on its GPUs as they are now (weights per GPU, KV bytes per
   * token, tokens of KV that fit, verdict); null when there is nothing to read (script, upstream, no config.json).
   */
  'models.fit': { params: { model: string }; result: FitEstimate | null };
  /** The last loads (newest last), from the load history. */
  'models.loadHistory': { params: { model?: string; limit?: number }; result: LoadRecord[] };
  /** Unloads one model after its in-flight requests finish (other slots keep serving). */
  'models.unload': { params: { model: string }; result: { unloaded: true } };
  /** Every load and unload with its cause (request, manual, preload, idle, default, evict), newest last. */
  'models.swapHistory': { params: { limit?: number }; result: SwapRecord[] };

  'catalog.get': { params: Record<string, never>; result: CatalogDocument };
  /** Checks a change and returns the YAML diff; writes nothing. */
  'catalog.preview': { params: { change: CatalogChange }; result: CatalogChangePreview };
  /** Writes a change atomically (refused with `conflict` when expectedRevision no longer matches, `bad_request` with issues when invalid). */
  'catalog.apply': { params: { change: CatalogChange; expectedRevision?: string }; result: CatalogChangeResult };
  'catalog.importScripts': { params: ImportScriptsParams; result: ImportScriptsResult };

  'logs.tail': { params: { tail?: number }; result: LogLine[] };
  /**
   * The router's request log (shared/request-log.ts), newest first: every request to /v1/* with its
   * client, model, status, error code, time waited for a switch, TTFT, duration and tokens. Filters
   * combine; `model` takes an id or alias, `status` a class (`4xx`) or a code (`404`). Covers the
   * engine's recent window (the last 5,000 requests); older ones are in `<stateDir>/requests.jsonl*`.
   */
  'requests.list': { params: RequestLogFilter; result: RequestRecord[] };

  'gpu.overview': { params: { refreshTopology?: boolean }; result: GpuOverview };
  'gpu.history': { params: { gpu: string; sinceMs?: number }; result: GpuSample[] };
  'gpu.setPowerLimit': { params: { gpu: string; watts: number; revertAfterS?: number }; result: PendingPowerLimit };
  'gpu.confirmPowerLimit': { params: { changeId: string }; result: { changeId: string } };
  'gpu.revertPowerLimit': { params: { changeId: string }; result: { changeId: string; restoredW: number } };
  'gpu.applyPreset': { params: { watts: number; revertAfterS?: number }; result: PowerPresetResult };

  'throughput.samples': { params: { model: string; sinceMs?: number }; result: ThroughputSample[] };
  'bench.run': { params: { model: string; maxTokens?: number }; result: BenchResult };
  'bench.history': { params: Record<string, never>; result: BenchHistoryView };

  'settings.get': { params: Record<string, never>; result: Settings };
  'settings.update': { params: { patch: SettingsPatch; expectedRevision?: string }; result: CatalogChangeResult };

  /**
   * First run only (the state has `setup`): writes the simulated host (the `switchboard demo` catalog:
   * the SGLang simulator, six fake RTX 3090) into `<stateDir>/simulated-host/` and asks the desktop
   * app to restart the engine on it; the connection drops and comes back on the new engine. `unavailable`
   * when the engine runs without the app (plain `switchboard serve`: run `switchboard demo` instead),
   * `conflict` when the engine already has a catalog.
   */
  'setup.startSimulatedHost': { params: Record<string, never>; result: SimulatedHostStart };
}

export type ApiMethodName = keyof ApiMethods;
export type ApiParams<M extends ApiMethodName> = ApiMethods[M]['params'];
export type ApiResult<M extends ApiMethodName> = ApiMethods[M]['result'];

/** What the engine side implements: one async function per method. A missing one is a compile error. */
export type ApiHandlers = { [M in ApiMethodName]: (params: ApiParams<M>) => Promise<ApiResult<M>> };

/** The runtime list of methods both transports dispatch on. */
export const API_METHOD_NAMES = [
  'state.get',
  'models.list',
  'models.switchTo',
  'models.stop',
  'models.loadHistory',
  'models.fit',
  'models.unload',
  'models.swapHistory',
  'catalog.get',
  'catalog.preview',
  'catalog.apply',
  'catalog.importScripts',
  'logs.tail',
  'requests.list',
  'gpu.overview',
  'gpu.history',
  'gpu.setPowerLimit',
  'gpu.confirmPowerLimit',
  'gpu.revertPowerLimit',
  'gpu.applyPreset',
  'throughput.samples',
  'bench.run',
  'bench.history',
  'settings.get',
  'settings.update',
  'setup.startSimulatedHost',
] as const satisfies readonly ApiMethodName[];

// ---------------------------------------------------------------------------------------------
// Events

export type ApiEvent = EngineEvent;
export type ApiEventType = ApiEvent['type'];

/** The runtime list of event types. */
export const API_EVENT_TYPES = ['state', 'log', 'load', 'gpu.sample', 'throughput', 'bench', 'swap', 'catalog'] as const satisfies readonly ApiEventType[];

// Compile-time checks: each list names every member of its type, and nothing else (satisfies above).
type MissingMethods = Exclude<ApiMethodName, (typeof API_METHOD_NAMES)[number]>;
type MissingEvents = Exclude<ApiEventType, (typeof API_EVENT_TYPES)[number]>;
export const API_LISTS_COMPLETE: [MissingMethods, MissingEvents] extends [never, never] ? true : { missingMethods: MissingMethods; missingEvents: MissingEvents } = true;

export function isApiMethodName(name: unknown): name is ApiMethodName {
  return typeof name === 'string' && (API_METHOD_NAMES as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// Transport envelopes (the same JSON on the WebSocket and over IPC)

/** Client → engine. `id` is the caller's, echoed in the reply. */
export interface ApiRequestMessage {
  type: 'call';
  id: number;
  method: ApiMethodName;
  params: unknown;
}

/** Engine → client: the reply to one call, or a batch of events (coalesced per tick; order kept). */
export type ApiServerMessage =
  { type: 'hello'; protocol: number; version: string } | { type: 'result'; id: number; result: unknown } | { type: 'error'; id: number; error: ApiError } | { type: 'events'; events: ApiEvent[] };

/**
 * What a renderer holds: IPC (preload) and WebSocket transports both implement it, and the UI
 * cannot tell them apart. `subscribe` delivers events in batches, in the order they happened.
 */
export interface ApiTransport {
  readonly kind: 'ipc' | 'websocket';
  call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  subscribe(listener: (events: ApiEvent[]) => void): () => void;
  /**
   * Connection state, for a banner. Over IPC it is the desktop app's connection to its engine
   * process, with `detail` saying what happened to that process (crashed, restarting…).
   */
  onConnection?(listener: (state: 'connecting' | 'open' | 'closed', detail?: ConnectionDetail) => void): () => void;
  /** Desktop app only: start its engine process again (after a crash loop stopped the automatic restarts). */
  restartEngine?(): Promise<void>;
  close?(): void;
}

/** What the desktop app knows about its engine process while the engine is not reachable. */
export interface ConnectionDetail {
  /** One sentence: "The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…". */
  message: string;
  /** The supervisor gave up restarting it by itself: offer restartEngine(). */
  canRestart: boolean;
}

/** The name the preload gives the IPC transport on `window`. */
export const PRELOAD_GLOBAL = 'switchboard';
/** IPC channels (main side checks the sender's frame on each). */
export const IPC_CALL_CHANNEL = 'switchboard:call';
export const IPC_EVENTS_CHANNEL = 'switchboard:events';
export const IPC_SUBSCRIBE_CHANNEL = 'switchboard:subscribe';
/** Main → renderer: the engine connection changed (`IpcConnectionMessage`); renderer → main (invoke): the current one. */
export const IPC_CONNECTION_CHANNEL = 'switchboard:connection';
/** Renderer → main (invoke): restart the app's engine process. */
export const IPC_RESTART_ENGINE_CHANNEL = 'switchboard:restart-engine';

export interface IpcConnectionMessage {
  state: 'connecting' | 'open' | 'closed';
  detail?: ConnectionDetail;
}

/** Thrown by transports for an `error` reply: the UI branches on `code`. */
export class ApiCallError extends Error implements ApiError {
  readonly code: ApiError['code'];
  readonly details?: Record<string, unknown>;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.details = error.details;
  }
}
