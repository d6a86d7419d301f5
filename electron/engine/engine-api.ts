import type { Catalog, ModelEntry } from '../../shared/catalog-schema.js';
import type { EngineEvent, EngineNotice, EngineState, LoadRecord, LogLine, SlotView, SwapRecord, SwitchCause } from '../../shared/engine-state.js';
import type { EngineError } from '../../shared/engine-error.js';
import type { GpuOverview, GpuSample, PendingPowerLimit, PowerPresetResult } from '../../shared/gpu-types.js';
import type { BenchHistoryView, BenchResult, ThroughputSample } from '../../shared/throughput.js';
import type { FitEstimate } from './fit/estimate-fit.js';
import type { RequestLogFilter, RequestRecord } from '../../shared/request-log.js';

/**
 * What the engine offers to its hosts (the `serve` HTTP API, later the router, IPC and WebSocket).
 * Created by `createEngine()` in engine.ts.
 */
export interface Engine {
  /** A snapshot of every slot and model. Cheap; never triggers work. */
  state(): EngineState;
  /** The validated catalog in use. */
  catalog(): Catalog;
  /**
   * Takes a new validated catalog (the editor wrote it, `revision` is the file's sha256): models,
   * launch settings, timeouts, loading messages and power presets apply from the next request or
   * launch; a model being served keeps running as it was launched. Emits `catalog`, then `state`.
   * Returns the changed settings that only a restart applies ("router.port", …).
   */
  replaceCatalog(catalog: Catalog, revision: string): string[];
  /**
   * Resolves a model id or alias and waits until that model is ready (joining a load under way,
   * queueing FIFO behind a switch to another model). Rejects with an EngineError:
   * `unknown_model` (details.known lists the ids), `will_not_fit` (the fit estimate, checked when the
   * load's turn comes and before anything is stopped; `force` skips it) or `load_failed` (details.failure).
   */
  ensureReady(modelIdOrAlias: string, cause: SwitchCause, options?: EnsureReadyOptions): Promise<SlotView>;
  /**
   * Like ensureReady, and also counts the caller as an in-flight request of that model until it
   * calls `release()`: a switch to another model waits for in-flight requests (up to
   * backend.drainTimeoutS) before stopping it. The lease is taken in the same tick the model is
   * seen ready, so no switch can slip in between. `signal` withdraws a waiting caller (the load
   * goes on). Upstream models lease at once.
   */
  acquire(modelIdOrAlias: string, cause: SwitchCause, options?: AcquireOptions): Promise<ModelLease>;
  /**
   * Takes a router request under the model's catalog maxConcurrent, synchronously (before anything is
   * sent to the client): it holds a place now, or queues for one (`queued`), or — when maxQueued
   * requests already queue — EngineError 'too_many_requests' is thrown and nothing is registered.
   * Pass it to `acquire` (which waits for the place, then the model); `release` it if `acquire` is never called.
   */
  admit(modelIdOrAlias: string, options?: { stream?: boolean }): RequestAdmission;
  /**
   * The router could not reach the model's server (refused or reset before any response byte). When
   * the server is gone or no longer answers /health, its slot is marked failed (a leftover process is
   * stopped) and true is returned: the next `acquire` relaunches the model, as for a cold request.
   */
  reportUnreachable(modelIdOrAlias: string): Promise<boolean>;
  /** True when a request for this model would go out at once (ready, no switch pending). */
  isServing(modelIdOrAlias: string): boolean;
  /**
   * Why a load of this model would be refused right now — a pinned model holds GPUs it needs
   * (EngineError 'conflict' with details.pinned) — or undefined. The router answers 409 with it.
   */
  placementRefusal(modelIdOrAlias: string, cause: SwitchCause): EngineError | undefined;
  /**
   * The fit estimate of a launch of this model on its GPUs as they are now (null: nothing to read, e.g.
   * a script or upstream model, or no config.json); throws EngineError 'will_not_fit' naming the GPU and
   * the shortfall when it cannot load. Without GPU data the verdict is 'unknown' and nothing is refused.
   */
  checkFit(modelIdOrAlias: string): Promise<FitEstimate | null>;
  /** The same estimate without the refusal (for the catalog row and the model form). */
  estimateFit(modelIdOrAlias: string): Promise<FitEstimate | null>;
  /** The same for an entry that need not be in the catalog (the model form's draft). */
  estimateFitOf(model: ModelEntry): Promise<FitEstimate | null>;
  /** Unloads one model (after its in-flight requests drain), in FIFO order with switches. */
  unload(modelIdOrAlias: string, cause: SwitchCause): Promise<void>;
  /** Loads and unloads with their causes, newest last. */
  swapHistory(options?: { limit?: number }): SwapRecord[];
  /** Records one finished router request in the request log (memory and `<stateDir>/requests.jsonl`); cheap, never throws. */
  recordRequest(record: RequestRecord): void;
  /** Router requests from the request log's recent window that pass `filter` (model: id or alias), newest first. */
  requestLog(filter?: RequestLogFilter): RequestRecord[];
  /** The catalog entry for an id or alias, or undefined. */
  resolveModel(modelIdOrAlias: string): ModelEntry | undefined;
  /** Stops the backend (waits for the stop to finish). Pending switches are rejected. */
  stop(cause: SwitchCause): Promise<void>;
  /**
   * Finished loads from the load history, newest last: the last `limit` (default 100), of one model
   * when `model` (id or alias; an id no longer in the catalog still finds its old loads) is given.
   */
  loadHistory(options?: { model?: string; limit?: number }): LoadRecord[];
  /** The last `tail` backend log lines, oldest first. */
  logs(tail: number): LogLine[];
  /**
   * The latest sample of each GPU, host stats, topology and NVLink sets. `available: false` with the reason
   * ("no NVIDIA GPU found (…)") on a host without nvidia-smi. `refreshTopology` reads topo/nvlink again.
   */
  gpu(options?: { refreshTopology?: boolean }): Promise<GpuOverview>;
  /** One GPU's samples (by UUID or bus id), oldest first. Throws `not_found` for a GPU the monitor does not know. */
  gpuHistory(gpu: string, sinceMs?: number): GpuSample[];
  /**
   * Sets a GPU's (UUID or bus id) power limit, checked against its live bounds (`bad_request` with
   * details.minW/maxW, never clamped). Reverts after `revertAfterS` unless confirmed. `unavailable` when the
   * helper cannot be reached (the message names its socket).
   */
  setPowerLimit(gpu: string, watts: number, revertAfterS?: number): Promise<PendingPowerLimit>;
  /** Keeps a pending change (the helper persists it and re-applies it at boot). */
  confirmPowerLimit(changeId: string): Promise<{ changeId: string }>;
  /** Restores the limit a pending change replaced. */
  revertPowerLimit(changeId: string): Promise<{ changeId: string; restoredW: number }>;
  /** Sets every GPU to `watts` (all checked first); each change is pending like setPowerLimit's. */
  applyPowerPreset(watts: number, revertAfterS?: number): Promise<PowerPresetResult>;
  /** A model's recent tok/s samples (decode log lines and /metrics), oldest first. */
  throughput(modelIdOrAlias: string, sinceMs?: number): ThroughputSample[];
  /**
   * Ensures the model is ready, streams one fixed prompt for `maxTokens` (default 256) tokens and records
   * tok/s, TTFT and the GPUs' power limits and draw. `conflict` while another benchmark runs;
   * `too_few_tokens` when the run gave fewer than two tokens (no rate to measure).
   */
  runBenchmark(modelIdOrAlias: string, options?: { maxTokens?: number }): Promise<BenchResult>;
  /** Every recorded run and the per-model, per-power-limit table. */
  benchHistory(): BenchHistoryView;
  /** Adds a line to the engine log (stream `engine`): what the host did for the engine (a catalog reload). */
  note(text: string, modelId?: string | null): void;
  /** Sets one of the engine's notices (shown in the UI and `switchboard status`), or clears it with null. */
  setNotice(id: string, notice: { level: EngineNotice['level']; message: string } | null): void;
  /** Subscribes to engine events; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Stops the backend and releases everything. */
  close(): Promise<void>;
}

export interface EnsureReadyOptions {
  /** Load even when the fit estimate says the model will not fit. */
  force?: boolean;
}

export interface AcquireOptions {
  /** Aborting withdraws the waiting caller; a load under way continues. */
  signal?: AbortSignal;
  /** Shown in the state's request list. */
  stream?: boolean;
  /** From `admit`: the request is counted under its model's maxConcurrent (and waits for a place when queued). */
  admission?: RequestAdmission;
}

/** A router request taken under its model's limit (see `Engine.admit`). */
export interface RequestAdmission {
  id: string;
  modelId: string;
  /** True when it was queued: it waits for a free place (maxConcurrent requests hold one). */
  queued: boolean;
  /** Resolves when it holds its place (at once unless queued); never rejects (a withdrawn request's stays pending). */
  placed: Promise<void>;
  /** Withdraws it (only needed when `acquire` is never called: a lease's release or a failed acquire ends it). Idempotent. */
  release(): void;
}

/** Permission to send one request to a ready model. */
export interface ModelLease {
  modelId: string;
  /** Where to send it: `http://host:port` of the slot, or the model's upstream URL. */
  baseUrl: string;
  /** Ends the request's in-flight count. Idempotent. */
  release(): void;
}
