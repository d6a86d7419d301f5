import { join } from 'node:path';
import type { Catalog, ModelEntry } from '../../shared/catalog-schema.js';
import type { EngineEvent, EngineState, LogLine, ModelStatus, ModelView, SlotView, SwitchCause } from '../../shared/engine-state.js';
import type { Failure } from '../../shared/failure.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import type { ProcessBackend } from './backends/process-backend.js';
import { ChildProcessBackend } from './backends/child-process-backend.js';
import { formatHost } from './backends/probe-health.js';
import type { SystemdAccessOptions } from './backends/systemd/create-unit-control.js';
import { buildLaunch } from './catalog/build-launch-argv.js';
import type { AcquireOptions, Engine, ModelLease } from './engine-api.js';
import { EngineError } from './engine-error.js';
import { findPortOwner, waitForPortFree } from './host/find-port-owner.js';
import { LogBuffer } from './logs/log-buffer.js';
import { typicalLoadMs } from './switcher/estimate-eta.js';
import { LoadHistory } from './switcher/load-history.js';
import { RequestRegistry } from './switcher/request-registry.js';
import { SlotSwitcher } from './switcher/slot-switcher.js';

/** A previous instance's socket may linger a moment after its process group is gone. */
const PORT_RELEASE_WAIT_MS = 3_000;
/** State events that only move a progress bar are coalesced to at most one per this interval. */
const PROGRESS_EVENT_INTERVAL_MS = 100;

export interface CreateEngineOptions {
  catalog: Catalog;
  configPath: string;
  /** Where load history lives; null keeps it in memory (tests). */
  stateDir: string | null;
  /** Defaults to the catalog's backend.kind: the child-process backend or the systemd backend. */
  backend?: ProcessBackend;
  /** How the systemd backend reaches systemctl, journalctl and the helper (tests: a sandbox). */
  systemd?: SystemdAccessOptions;
  /** Health-probe interval while loading (default 250 ms). */
  probeIntervalMs?: number;
  logCapacity?: number;
}

/** Composes the engine: catalog, backend, switcher, log buffer, history and events. */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  const history = await LoadHistory.open(options.stateDir ? join(options.stateDir, 'load-history.jsonl') : null);
  const backend = options.backend ?? (await createBackend(options.catalog, options.systemd));
  return new SwitchboardEngine({ ...options, backend }, history);
}

async function createBackend(catalog: Catalog, systemd: SystemdAccessOptions | undefined): Promise<ProcessBackend> {
  if (catalog.backend.kind !== 'systemd') return new ChildProcessBackend();
  // Loaded on demand: node-pty is a native module that only the systemd backend needs.
  const { createUnitControl } = await import('./backends/systemd/create-unit-control.js');
  const { SystemdBackend } = await import('./backends/systemd/systemd-backend.js');
  const control = await createUnitControl(() => catalog, systemd);
  return new SystemdBackend({ control, scope: catalog.backend.scope, journalctlCommand: systemd?.journalctlCommand });
}

class SwitchboardEngine implements Engine {
  private readonly startedAtMs = Date.now();
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly logBuffer: LogBuffer;
  private readonly switcher: SlotSwitcher;
  private readonly byName = new Map<string, ModelEntry>();
  private readonly lastFailure = new Map<string, Failure>();
  private readonly requests: RequestRegistry;
  private lastEmitted: string | undefined;
  private pendingEmit: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: CreateEngineOptions & { backend: ProcessBackend }, private readonly history: LoadHistory) {
    const { catalog } = options;
    for (const model of catalog.models) {
      this.byName.set(model.id, model);
      for (const alias of model.aliases) this.byName.set(alias, model);
    }
    this.logBuffer = new LogBuffer(options.logCapacity);
    this.requests = new RequestRegistry(() => this.emitState());
    this.switcher = new SlotSwitcher({
      slotId: 'default',
      host: catalog.backend.host,
      port: catalog.backend.port,
      backend: options.backend,
      history,
      launchFor: (modelId, host, port) => buildLaunch(this.model(modelId), catalog, { host, port }),
      ensurePortFree: (host, port) => ensurePortFree(host, port, options.backend),
      readyTimeoutMs: catalog.backend.readyTimeoutS * 1000,
      stopTimeoutMs: catalog.backend.stopTimeoutS * 1000,
      drain: (modelId) => this.requests.waitIdle(modelId, catalog.backend.drainTimeoutS * 1000),
      probeIntervalMs: options.probeIntervalMs,
      onLine: (stream, text, modelId) => this.addLog(stream, text, modelId),
      onChange: () => this.emitState(),
      onLoadFinished: (record) => {
        if (record.outcome === 'failed') this.lastFailure.set(record.modelId, this.switcher.view().failure ?? this.lastFailure.get(record.modelId)!);
        if (record.outcome === 'ready') this.lastFailure.delete(record.modelId);
        this.emit({ type: 'load', record });
      },
    });
  }

  catalog(): Catalog {
    return this.options.catalog;
  }

  state(): EngineState {
    const slot = this.switcher.view();
    return {
      version: SWITCHBOARD_VERSION,
      startedAtMs: this.startedAtMs,
      activeModel: slot.status === 'ready' ? slot.modelId : null,
      slots: [slot],
      models: this.options.catalog.models.map((m) => this.modelView(m, slot)),
      requests: this.requests.views(),
      configPath: this.options.configPath,
    };
  }

  ensureReady(modelIdOrAlias: string, cause: SwitchCause): Promise<SlotView> {
    if (this.closed) return Promise.reject(new EngineError('conflict', 'the engine is shutting down'));
    const model = this.byName.get(modelIdOrAlias);
    if (!model) return Promise.reject(unknownModel(modelIdOrAlias, this.options.catalog));
    return this.switcher.ensureReady(model.id, cause);
  }

  isServing(modelIdOrAlias: string): boolean {
    const model = this.byName.get(modelIdOrAlias);
    return model !== undefined && (model.upstream !== undefined || this.switcher.isServing(model.id));
  }

  resolveModel(modelIdOrAlias: string): ModelEntry | undefined {
    return this.byName.get(modelIdOrAlias);
  }

  async acquire(modelIdOrAlias: string, cause: SwitchCause, options: AcquireOptions = {}): Promise<ModelLease> {
    const model = this.byName.get(modelIdOrAlias);
    if (!model) throw unknownModel(modelIdOrAlias, this.options.catalog);
    const id = this.requests.wait(model.id, options.stream ?? false);
    const lease = (baseUrl: string): ModelLease => {
      this.requests.activate(id, model.id);
      return { modelId: model.id, baseUrl, release: () => this.requests.finish(id) };
    };
    if (model.upstream !== undefined) return lease(model.upstream.replace(/\/+$/, ''));
    const { signal } = options;
    try {
      for (;;) {
        if (signal?.aborted) throw new EngineError('conflict', 'request withdrawn by the client');
        // A newcomer goes straight through only when no switch is pending (FIFO otherwise).
        if (this.switcher.isServing(model.id)) return lease(slotUrl(this.switcher.view()));
        await abortable(this.ensureReady(model.id, cause), signal);
        // Same tick as the load's resolution: a queued switch has not started draining yet,
        // and it will wait for this lease.
        if (this.switcher.isReadyFor(model.id)) return lease(slotUrl(this.switcher.view()));
      }
    } catch (err) {
      this.requests.finish(id);
      throw err;
    }
  }

  stop(cause: SwitchCause): Promise<void> {
    return this.switcher.stop(cause);
  }

  logs(tail: number): LogLine[] {
    return this.logBuffer.tail(tail);
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.switcher.stop('stop');
    clearTimeout(this.pendingEmit);
    this.listeners.clear();
  }

  private model(modelId: string): ModelEntry {
    const model = this.byName.get(modelId);
    if (!model) throw unknownModel(modelId, this.options.catalog);
    return model;
  }

  private modelView(model: ModelEntry, slot: SlotView): ModelView {
    const mine = slot.modelId === model.id;
    const status = modelStatus(mine ? slot : undefined, this.switcher.pendingModels().has(model.id), this.lastFailure.has(model.id));
    const failure = this.lastFailure.get(model.id);
    return {
      id: model.id,
      label: model.label ?? model.id,
      aliases: model.aliases,
      kind: model.upstream ? 'upstream' : model.script ? 'script' : 'launch',
      status: model.upstream ? 'loaded' : status,
      ...(mine && status === 'loading' && slot.progress ? { progress: slot.progress, etaMs: slot.etaMs ?? null } : {}),
      typicalLoadMs: typicalLoadMs(this.history.recordsOf(model.id)),
      ...(failure ? { lastFailure: failure } : {}),
      tp: model.tp,
      ...(model.gpus ? { gpus: model.gpus } : {}),
      inFlight: this.requests.inFlight(model.id),
    };
  }

  private addLog(stream: 'stdout' | 'stderr', text: string, modelId: string): void {
    const line = this.logBuffer.push({ atMs: Date.now(), stream, text, modelId });
    this.emit({ type: 'log', line });
  }

  /** Status and phase changes go out at once; progress-only changes are coalesced. */
  private emitState(): void {
    if (this.listeners.size === 0) return;
    const slot = this.switcher.view();
    const key = `${slot.status}|${slot.modelId}|${slot.progress?.phase}|${slot.draining}|${slot.queue.map((q) => `${q.modelId}:${q.waiters}`).join(',')}`;
    if (key !== this.lastEmitted) {
      this.flushState(key);
      return;
    }
    this.pendingEmit ??= setTimeout(() => this.flushState(key), PROGRESS_EVENT_INTERVAL_MS);
  }

  private flushState(key: string): void {
    clearTimeout(this.pendingEmit);
    this.pendingEmit = undefined;
    this.lastEmitted = key;
    this.emit({ type: 'state', state: this.state() });
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not stop the engine or the other subscribers.
      }
    }
  }
}

function modelStatus(slot: SlotView | undefined, pending: boolean, failedBefore: boolean): ModelStatus {
  if (slot?.status === 'ready') return 'loaded';
  if (slot && (slot.status === 'starting' || slot.status === 'loading')) return 'loading';
  if (pending) return 'loading';
  if (slot?.status === 'failed' || failedBefore) return 'failed';
  return 'unloaded';
}

function unknownModel(name: string, catalog: Catalog): EngineError {
  const known = catalog.models.map((m) => m.id);
  return new EngineError('unknown_model', `unknown model "${name}"; known: ${known.join(', ') || '(none)'}`, { known });
}

async function ensurePortFree(host: string, port: number, backend: ProcessBackend): Promise<void> {
  if (await waitForPortFree(host, port, PORT_RELEASE_WAIT_MS)) return;
  const owner = await findPortOwner(port, host);
  if (owner && backend.ownsProcess?.(owner.pid)) return;
  const who = owner ? `pid ${owner.pid} (${owner.command})` : 'another process';
  const failure: Failure = {
    cause: 'port_busy',
    message: `backend port ${port} on ${host} is already in use by ${who}`,
    hint: 'stop that process or change backend.port',
    atMs: Date.now(),
  };
  throw new EngineError('conflict', failure.message, { failure });
}

function slotUrl(slot: SlotView): string {
  return `http://${formatHost(slot.host)}:${slot.port}`;
}

/** Rejects when `signal` aborts; the underlying promise (a load) goes on. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new EngineError('conflict', 'request withdrawn by the client'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
