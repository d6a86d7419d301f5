import type { Catalog, ModelEntry } from '../../shared/catalog-schema.js';
import type { EngineEvent, EngineNotice, EngineState, LoadRecord, LogLine, ModelStatus, ModelView, SlotView, SwapRecord, SwitchCause } from '../../shared/engine-state.js';
import type { Failure } from '../../shared/failure.js';
import type { GpuOverview, GpuSample, GpuTopologySnapshot, HostStats, PendingPowerLimit, PowerPresetResult } from '../../shared/gpu-types.js';
import type { BenchHistoryView, BenchResult, ThroughputSample } from '../../shared/throughput.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import { stallLimitMs } from '../../shared/stall-timeouts.js';
import type { ProcessBackend } from './backends/process-backend.js';
import { formatHost, probeHealth } from './backends/probe-health.js';
import type { SystemdAccessOptions } from './backends/systemd/create-unit-control.js';
import { BenchRunner } from './bench/bench-runner.js';
import { buildLaunch } from './catalog/build-launch-argv.js';
import { listRestartFields } from './catalog/catalog-settings.js';
import type { AcquireOptions, EnsureReadyOptions, Engine, ModelLease, RequestAdmission } from './engine-api.js';
import { EngineError } from '../../shared/engine-error.js';
import { unknownModelError } from './catalog/resolve-model-id.js';
import { createEngineParts, type EngineParts } from './engine-parts.js';
import { EngineNotices } from './engine-notices.js';
import type { GpuMonitor } from './gpu/gpu-monitor.js';
import type { GpuPowerControl } from './gpu/gpu-power-control.js';
import type { PowerLimits } from './gpu/power-limits.js';
import { ensurePortFree } from './host/ensure-port-free.js';
import type { ExpectedLaunch } from './host/leftover-servers.js';
import { LeftoverKeeper } from './host/leftover-keeper.js';
import type { ServerRecords } from './host/server-records.js';
import { abortable } from './abortable.js';
import type { FitEstimate } from './fit/estimate-fit.js';
import { FitChecker } from './fit/fit-checker.js';
import { LearnedFitStore } from './fit/learned-fit-store.js';
import { LogBuffer } from './logs/log-buffer.js';
import { typicalLoadMs } from './switcher/estimate-eta.js';
import type { LoadHistory } from './switcher/load-history.js';
import { RequestRegistry, type ConcurrencyLimit } from './switcher/request-registry.js';
import { isSlotModel, slotIdOf } from '../../shared/gpu-sets.js';
import { ModelLifecycle } from './switcher/model-lifecycle.js';
import { SlotPool, type SwapTrigger } from './switcher/slot-pool.js';
import { SlotSwitcher, type LoadNotes } from './switcher/slot-switcher.js';
import type { SwapHistory } from './switcher/swap-history.js';
import type { RequestLog } from './requests/request-log.js';
import type { RequestLogFilter, RequestRecord } from '../../shared/request-log.js';
import { ThroughputTracker } from './throughput/throughput-tracker.js';
import { SglangInfoClient } from './backends/sglang-info.js';
import { readServerMemory } from './fit/read-server-memory.js';
import { WarmSleeper } from './switcher/warm-sleeper.js';
import { modelGpuIndexes } from './gpu/model-gpus.js';
import { DEFAULT_MAX_QUEUED, DEFAULT_SLEEP_TIMEOUT_S } from '../../shared/catalog-constants.js';
import { readHostStats } from './gpu/host-stats.js';
import type { BackendInstance } from './backends/process-backend.js';

/** `gpuReleasedAtMs` key of a slot without a GPU list. */
const ALL_GPUS = -1;
/** How long the fit check waits for an nvidia-smi reading taken after a server gave its GPUs back. */
const GPU_SETTLE_TIMEOUT_MS = 3_000;
/** Host RAM a sleep must leave available: at least this much, and at least SLEEP_RAM_FLOOR_SHARE of the total. */
const SLEEP_RAM_FLOOR_MIB = 4096;
const SLEEP_RAM_FLOOR_SHARE = 0.1;

/** How long the memory figures of a just-ready server may take to come (one GET, answered from memory). */
const SERVER_INFO_TIMEOUT_MS = 5_000;

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
  /**
   * GPU telemetry from the catalog's `gpu` settings; on by default (a host without nvidia-smi gets
   * "no NVIDIA GPU found" and everything else works). false turns it off; a GpuMonitor replaces it.
   */
  gpuMonitor?: boolean | GpuMonitor;
  /** A topology the host already read (serve reads it to validate the catalog), so start does not read it again. */
  gpuTopology?: GpuTopologySnapshot;
  /** Default: in-process when root, else the helper at systemd.helperSocketPath (see createPowerLimits). */
  powerLimits?: PowerLimits;
  /** /metrics poll interval for models run with --enable-metrics (default 5000 ms). */
  metricsPollMs?: number;
  /**
   * Setup mode: `configPath` does not exist yet and `catalog` is the empty one (loadCatalogOnHost with
   * `allowMissing` says `missing: true`). The state carries `setup` until the first catalog is written
   * through the engine (replaceCatalog); the router and the API work as with a catalog of no models.
   */
  firstRun?: boolean;
  /** The host's memory for the sleep policy (test seam; default: the GPU monitor's host reading, else systeminformation). */
  readHostMemory?: () => Promise<Pick<HostStats, 'memAvailableMiB' | 'memTotalMiB'> | null>;
}

const MONITOR_OFF = { available: false as const, reason: 'GPU monitoring is off in this engine' };
/** How long /health may take to say a server that refused a request is still fine. */
const UNREACHABLE_PROBE_TIMEOUT_MS = 3_000;
/** Load records loadHistory returns when no limit is given. */
const DEFAULT_LOAD_HISTORY_LIMIT = 100;

/** Composes the engine: catalog, backend, switcher, log buffer, histories, GPU monitor and events. */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  let engine: SwitchboardEngine | undefined;
  // Parts report into the notices from the start (a state dir it cannot read); the engine publishes them.
  const notices = new EngineNotices(() => engine?.noticesChanged());
  // The backend (systemd) reads the catalog at each launch: the current one, after replaceCatalog too.
  const parts = await createEngineParts(options, () => engine?.catalog() ?? options.catalog, notices);
  engine = new SwitchboardEngine(options, parts, notices);
  await engine.start();
  return engine;
}

class SwitchboardEngine implements Engine {
  private readonly startedAtMs = Date.now();
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly logBuffer: LogBuffer;
  private readonly pool: SlotPool;
  private readonly lifecycle: ModelLifecycle;
  private readonly swaps: SwapHistory;
  private readonly requestRecords: RequestLog;
  private readonly byName = new Map<string, ModelEntry>();
  /** The catalog in use: the one the engine started with until replaceCatalog swaps it. */
  private current: Catalog;
  private readonly lastFailure = new Map<string, Failure>();
  private readonly requests: RequestRegistry;
  private readonly history: LoadHistory;
  private readonly bench: BenchRunner;
  private readonly monitor: GpuMonitor | null;
  private readonly power: GpuPowerControl;
  private readonly throughputTracker: ThroughputTracker;
  private readonly fit: FitChecker;
  private readonly sleeper: WarmSleeper;
  /** GPU index (ALL_GPUS for a slot on every GPU) → when a server of ours last gave its memory back. */
  private readonly gpuReleasedAtMs = new Map<number, number>();
  private readonly readHostMemory: () => Promise<Pick<HostStats, 'memAvailableMiB' | 'memTotalMiB'> | null>;
  /** Reads a ready server's `/server_info` (newer name first, `/get_server_info` fallback). */
  private readonly sglangInfo = new SglangInfoClient(SERVER_INFO_TIMEOUT_MS);
  private readonly stopMonitorEvents: () => void;
  /** Leftover servers of earlier runs (child-process backend; systemd keeps its own units). */
  private readonly leftovers: LeftoverKeeper | null;
  private readonly servers: ServerRecords;
  private lastEmitted: string | undefined;
  private pendingEmit: NodeJS.Timeout | undefined;
  private closed = false;
  /** Setup mode (see CreateEngineOptions.firstRun): until the first catalog write. */
  private inSetup: boolean;

  constructor(
    private readonly options: CreateEngineOptions,
    parts: EngineParts,
    private readonly notices: EngineNotices,
  ) {
    const catalog = options.catalog;
    this.current = catalog;
    this.inSetup = options.firstRun === true;
    const { history } = parts;
    this.swaps = parts.swaps;
    this.requestRecords = parts.requestLog;
    this.history = history;
    this.bench = new BenchRunner(parts.benchHistory, (result) => this.emit({ type: 'bench', result }));
    this.monitor = parts.monitor;
    this.power = parts.power;
    this.stopMonitorEvents = this.monitor?.subscribe((tick) => this.emit({ type: 'gpu.sample', ...tick })) ?? (() => undefined);
    this.throughputTracker = new ThroughputTracker({ metricsPollMs: options.metricsPollMs, onSample: (sample) => this.emit({ type: 'throughput', sample }) });
    this.fit = new FitChecker({
      gpuSamples: () => this.monitor?.latest() ?? [],
      releasedGpus: (model) => this.gpusOfRunningServers(model),
      learned: new LearnedFitStore(options.stateDir),
      readServerMemory: async (modelId) => {
        const model = this.byName.get(modelId);
        if (!model || model.upstream !== undefined) return null;
        const answer = await this.sglangInfo.get(this.options.catalog.backend.host, this.pool.slotOf(model).port, '/server_info');
        return answer.statusCode === 200 ? readServerMemory(answer.body) : null;
      },
    });
    this.indexModels();
    this.logBuffer = new LogBuffer(options.logCapacity);
    this.requests = new RequestRegistry(
      () => this.emitRequestsChanged(),
      Date.now,
      (modelId) => concurrencyLimit(this.byName.get(modelId)),
    );
    const current = () => this.current;
    this.servers = parts.servers;
    const leftovers = (this.leftovers =
      catalog.backend.kind === 'systemd'
        ? null
        : new LeftoverKeeper({
            records: parts.servers,
            expected: () => this.expectedLaunches(),
            stopTimeoutMs: () => current().backend.stopTimeoutS * 1000,
            log: (text, modelId) => this.addLog('engine', text, modelId),
            notices,
          }));
    // Host and ports stay as started (a change needs a restart); the rest is read at each use.
    this.sleeper = new WarmSleeper({
      host: () => this.options.catalog.backend.host,
      timeoutMs: () => (current().backend.sleepTimeoutS ?? DEFAULT_SLEEP_TIMEOUT_S) * 1000,
      processMemory: async () => (this.monitor ? this.monitor.processMemory() : null),
    });
    this.readHostMemory = options.readHostMemory ?? (async () => (this.monitor ? this.monitor.hostNow() : readHostStats().catch(() => null)));
    this.pool = new SlotPool({
      catalog: current,
      maySleep: (model, switcher) => this.maySleep(model, switcher.currentInstance()),
      checkFit: async (model, force, waking) => {
        try {
          // A wake keeps the launch's prediction and figures; it is only refused when it cannot fit.
          await this.samplesAfterReleases(model);
          if (waking) await (force ? undefined : this.fit.check(model));
          else await this.fit.beforeLoad(model, force);
        } catch (err) {
          this.addLog('engine', `not loading ${model.id}: ${err instanceof Error ? err.message : String(err)}`, model.id);
          throw err;
        }
      },
      onChange: () => {
        this.followThroughput();
        this.emitState();
      },
      createSlot: (slotId, port) => {
        const backend = leftovers ? leftovers.recording(parts.backendFor(slotId), slotId) : parts.backendFor(slotId);
        const switcher: SlotSwitcher = new SlotSwitcher({
          slotId,
          host: catalog.backend.host,
          port,
          backend,
          history,
          launchFor: (modelId, host, slotPort) => buildLaunch(this.model(modelId), current(), { host, port: slotPort }),
          ensurePortFree: (host, slotPort) => ensurePortFree(host, slotPort, backend),
          ...(leftovers ? { takeOver: (modelId: string, host: string, slotPort: number) => leftovers.takeOver(slotId, modelId, host, slotPort) } : {}),
          get readyTimeoutMs() {
            return current().backend.readyTimeoutS * 1000;
          },
          get stopTimeoutMs() {
            return current().backend.stopTimeoutS * 1000;
          },
          drain: (modelId) => this.requests.waitIdle(modelId, current().backend.drainTimeoutS * 1000),
          stallLimitMs: (modelId, phase) => stallLimitMs(phase, this.byName.get(modelId)?.stallTimeoutS, current().backend.stallTimeoutS),
          onNote: (text, modelId) => this.addLog('engine', text, modelId),
          probeIntervalMs: options.probeIntervalMs,
          onLine: (stream, text, modelId) => this.addLog(stream, text, modelId),
          onEvent: (event, modelId) => {
            this.throughputTracker.onLogEvent(event, modelId);
            this.fit.onLogEvent(event, modelId);
          },
          beforeLaunch: (modelId) => this.applyPowerProfile(modelId),
          onChange: () => this.pool.notifyChange(),
          onLoadFinished: (record) => {
            if (record.outcome === 'failed') this.lastFailure.set(record.modelId, switcher.view().failure ?? this.lastFailure.get(record.modelId)!);
            if (record.outcome === 'ready') this.lastFailure.delete(record.modelId);
            void this.fit.onLoadFinished(this.byName.get(record.modelId), record.modelId, record.outcome === 'ready', record.endedAtMs).catch(() => undefined);
            this.emit({ type: 'load', record });
            this.recordSwap({
              atMs: record.endedAtMs,
              action: 'load',
              modelId: record.modelId,
              slotId,
              cause: record.cause,
              outcome: record.outcome,
              durationMs: record.endedAtMs - record.startedAtMs,
              ...(record.trigger?.forModel && record.trigger.forModel !== record.modelId ? { forModel: record.trigger.forModel } : {}),
              ...(record.trigger?.requestId ? { requestId: record.trigger.requestId } : {}),
            });
          },
          sleeper: this.sleeper,
          onSleepChange: (change) => {
            if (change.action === 'sleep') this.noteGpusReleased(slotId, change.atMs);
            this.recordSwap({
              atMs: change.atMs,
              action: change.action,
              modelId: change.modelId,
              slotId,
              cause: change.cause,
              durationMs: change.durationMs,
              ...(change.action === 'wake' ? { outcome: change.ok ? ('ready' as const) : ('failed' as const) } : {}),
              ...(change.forModel ? { forModel: change.forModel } : {}),
              ...(change.fallback ? { fallback: change.fallback } : {}),
            });
          },
          onUnloaded: (unload) => {
            this.noteGpusReleased(slotId, unload.atMs);
            this.requests.forgetActivity(unload.modelId);
            this.fit.forget(unload.modelId);
            this.recordSwap({ atMs: unload.atMs, action: 'unload', modelId: unload.modelId, slotId, cause: unload.cause, ...(unload.forModel ? { forModel: unload.forModel } : {}) });
          },
        });
        return switcher;
      },
    });
    this.pool.syncWithCatalog();
    this.lifecycle = new ModelLifecycle({
      catalog: current,
      pool: this.pool,
      requests: this.requests,
      model: (id) => this.byName.get(id),
      onError: (text) => this.addLog('engine', text, null),
    });
  }

  catalog(): Catalog {
    return this.current;
  }

  note(text: string, modelId: string | null = null): void {
    this.addLog('engine', text, modelId);
  }

  setNotice(id: string, notice: { level: EngineNotice['level']; message: string } | null): void {
    if (notice) this.notices.set(id, notice.level, notice.message);
    else this.notices.clear(id);
  }

  /** A notice was set or cleared: the state goes out at once. */
  noticesChanged(): void {
    this.emitState(true);
  }

  replaceCatalog(catalog: Catalog, revision: string): string[] {
    // Compared with the catalog the engine started with: those settings were read only then.
    const restartRequired = listRestartFields(this.options.catalog, catalog);
    this.current = catalog;
    // The catalog file exists now: setup mode is over.
    this.inSetup = false;
    this.indexModels();
    this.pool.syncWithCatalog();
    // A raised or removed maxConcurrent lets queued requests go on now.
    this.requests.limitsChanged();
    for (const id of [...this.lastFailure.keys()]) if (!this.byName.has(id)) this.lastFailure.delete(id);
    this.emit({ type: 'catalog', revision });
    if (this.listeners.size > 0) this.emit({ type: 'state', state: this.state() });
    return restartRequired;
  }

  loadHistory(options: { model?: string; limit?: number } = {}): LoadRecord[] {
    const limit = options.limit ?? DEFAULT_LOAD_HISTORY_LIMIT;
    if (limit <= 0) return [];
    const records = options.model === undefined ? this.history.all() : [...this.history.recordsOf(this.byName.get(options.model)?.id ?? options.model)];
    return records.slice(-limit);
  }

  state(): EngineState {
    const slots = this.pool.views().map((slot) => this.withFit(slot));
    const activeModels = slots.filter((s) => s.status === 'ready' && s.modelId !== null).map((s) => s.modelId!);
    const pending = this.pool.pendingModels();
    return {
      version: SWITCHBOARD_VERSION,
      startedAtMs: this.startedAtMs,
      activeModel: activeModels[0] ?? null,
      activeModels,
      slots,
      // Ids, not the aliases the catalog may use.
      preload: this.current.preload.map((name) => this.byName.get(name)?.id ?? name),
      defaultModel: this.current.defaultModel === undefined ? null : (this.byName.get(this.current.defaultModel)?.id ?? this.current.defaultModel),
      models: this.current.models.map((m) => this.modelView(m, slots, pending)),
      requests: this.requests.views(),
      configPath: this.options.configPath,
      gpu: this.monitor?.availability() ?? MONITOR_OFF,
      notices: this.notices.list(),
      ...(this.inSetup ? { setup: { catalogPath: this.options.configPath } } : {}),
    };
  }

  /**
   * Whether a warm model's ready server may sleep now: its weights' host copy (torch_memory_saver
   * keeps it pinned for as long as the server lives) must leave at least max(4 GiB, 10 % of RAM)
   * available. A server that already slept holds its copy, so it needs nothing more. Refuses when the
   * host's memory or the weights' size is unknown.
   */
  private async maySleep(model: ModelEntry, instance: BackendInstance | undefined): Promise<boolean> {
    const refuse = (why: string) => {
      this.addLog('engine', `not putting ${model.id} to sleep: ${why}; stopping it instead`, model.id);
      return false;
    };
    const host = await this.readHostMemory().catch(() => null);
    if (!host || host.memAvailableMiB === null || host.memTotalMiB === null) return refuse("the host's free memory cannot be read");
    let needMiB = 0;
    if (!this.sleeper.hasHostCopy(instance)) {
      const fit = this.fit.comparison(model.id);
      const perGpuGib = fit?.actual.weightsPerGpuGib ?? fit?.predicted?.weightsPerGpuGib ?? (await this.fit.estimate(model))?.weightsPerGpuGib;
      if (perGpuGib === undefined || perGpuGib === null) return refuse('the size of its weights is not known (no config.json, no load figures)');
      needMiB = perGpuGib * model.tp * 1024;
    }
    const keepMiB = Math.max(SLEEP_RAM_FLOOR_MIB, host.memTotalMiB * SLEEP_RAM_FLOOR_SHARE);
    if (host.memAvailableMiB - needMiB < keepMiB) {
      const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;
      return refuse(`its weights' copy in host RAM (${gib(needMiB)}) would leave ${gib(host.memAvailableMiB - needMiB)} available, less than the ${gib(keepMiB)} kept free`);
    }
    return true;
  }

  /** A server of `slotId` gave its GPU memory back at `atMs` (stopped, or put to sleep). */
  private noteGpusReleased(slotId: string, atMs: number): void {
    const gpus = this.pool.views().find((s) => s.id === slotId)?.gpus;
    for (const gpu of gpus ?? [ALL_GPUS]) this.gpuReleasedAtMs.set(gpu, atMs);
  }

  /**
   * Waits (up to a sampling interval + GPU_SETTLE_TIMEOUT_MS) for an nvidia-smi reading taken after the
   * last time one of `model`'s GPUs was given back by a server of ours: a sample from before still shows
   * the stopped server's memory as used, and the fit check would refuse a model that fits. A sample is
   * stamped when its line arrives, which may be up to an interval after nvidia-smi read the GPU: only one
   * that arrived a whole interval after the release surely read the GPU after it.
   */
  private async samplesAfterReleases(model: ModelEntry): Promise<void> {
    const monitor = this.monitor;
    if (!monitor) return;
    const intervalMs = this.current.gpu.sampleIntervalMs;
    const since = Math.max(0, ...[ALL_GPUS, ...modelGpuIndexes(model)].map((gpu) => this.gpuReleasedAtMs.get(gpu) ?? 0));
    const fresh = () => monitor.latest().length > 0 && monitor.latest().every((s) => s.atMs > since + intervalMs);
    if (since === 0 || monitor.latest().length === 0 || fresh()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs + GPU_SETTLE_TIMEOUT_MS);
      const unsubscribe = monitor.subscribe(() => {
        if (fresh()) done();
      });
      function done(): void {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  /** A loading or loaded slot with its model's predicted and reported memory. */
  private withFit(slot: SlotView): SlotView {
    if (slot.modelId === null || (slot.status !== 'starting' && slot.status !== 'loading' && slot.status !== 'ready')) return slot;
    const fit = this.fit.comparison(slot.modelId);
    return fit ? { ...slot, fit } : slot;
  }

  ensureReady(modelIdOrAlias: string, cause: SwitchCause, options: EnsureReadyOptions & { trigger?: SwapTrigger } = {}): Promise<SlotView> {
    if (this.closed) return Promise.reject(new EngineError('conflict', 'the engine is shutting down'));
    const model = this.byName.get(modelIdOrAlias);
    if (!model) return Promise.reject(unknownModelError(this.current, modelIdOrAlias));
    if (model.upstream !== undefined) return Promise.reject(new EngineError('bad_request', `${model.id} is served elsewhere (upstream); there is nothing to load`));
    return this.pool.ensureReady(model, cause, options.trigger, { force: options.force === true });
  }

  reportUnreachable(modelIdOrAlias: string): Promise<boolean> {
    const model = this.byName.get(modelIdOrAlias);
    if (!model || model.upstream !== undefined) return Promise.resolve(false);
    const slot = this.pool.slotOf(model);
    const host = this.options.catalog.backend.host;
    return slot.switcher.confirmCrash(model.id, () => probeHealth(host, slot.port, UNREACHABLE_PROBE_TIMEOUT_MS));
  }

  isServing(modelIdOrAlias: string): boolean {
    const model = this.byName.get(modelIdOrAlias);
    return model !== undefined && (model.upstream !== undefined || this.pool.isServing(model));
  }

  placementRefusal(modelIdOrAlias: string, cause: SwitchCause): EngineError | undefined {
    const model = this.byName.get(modelIdOrAlias);
    if (!model || model.upstream !== undefined) return undefined;
    return this.pool.refusal(model, cause);
  }

  async checkFit(modelIdOrAlias: string): Promise<FitEstimate | null> {
    const model = this.byName.get(modelIdOrAlias);
    if (!model || model.upstream !== undefined) return null;
    await this.samplesAfterReleases(model);
    return this.fit.check(model);
  }

  async estimateFit(modelIdOrAlias: string): Promise<FitEstimate | null> {
    const model = this.byName.get(modelIdOrAlias);
    if (!model || model.upstream !== undefined) return null;
    return this.fit.estimate(model);
  }

  async estimateFitOf(model: ModelEntry): Promise<FitEstimate | null> {
    return model.upstream === undefined ? this.fit.estimate(model) : null;
  }

  /**
   * GPUs held by this engine's servers (loaded, loading or stopping): a switch stops (or puts to sleep)
   * the ones in its way first, so their memory counts as free for the fit estimate ('all' when a server
   * uses every GPU). Other models' sleeping servers stay, with what they still hold (CUDA context, NCCL
   * and graph pools); `model`'s own sleeping server is what it wakes into.
   */
  private gpusOfRunningServers(model: ModelEntry): Set<number> | 'all' {
    const held = new Set<number>();
    for (const slot of this.pool.views()) {
      if (slot.status === 'stopped' || slot.status === 'failed') continue;
      if (slot.status === 'sleeping' && slot.modelId !== model.id) continue;
      if (slot.gpus === null || slot.gpus === undefined) return 'all';
      for (const gpu of slot.gpus) held.add(gpu);
    }
    return held;
  }

  resolveModel(modelIdOrAlias: string): ModelEntry | undefined {
    return this.byName.get(modelIdOrAlias);
  }

  admit(modelIdOrAlias: string, options: { stream?: boolean } = {}): RequestAdmission {
    const model = this.byName.get(modelIdOrAlias);
    if (!model) throw unknownModelError(this.current, modelIdOrAlias);
    const admission = this.requests.admit(model.id, options.stream ?? false);
    if (!admission) {
      const limit = concurrencyLimit(model)!;
      throw new EngineError(
        'too_many_requests',
        `${model.id} has ${limit.maxConcurrent} request${limit.maxConcurrent === 1 ? '' : 's'} running (its maxConcurrent) and ${limit.maxQueued} more waiting (its maxQueued); try again later`,
        { modelId: model.id, ...limit },
      );
    }
    return { ...admission, modelId: model.id, placed: this.requests.placeOf(admission.id), release: () => this.requests.finish(admission.id) };
  }

  async acquire(modelIdOrAlias: string, cause: SwitchCause, options: AcquireOptions = {}): Promise<ModelLease> {
    const model = this.byName.get(modelIdOrAlias);
    if (!model) throw unknownModelError(this.current, modelIdOrAlias);
    const admitted = options.admission;
    if (admitted && admitted.modelId !== model.id) throw new EngineError('bad_request', `admission ${admitted.id} is for ${admitted.modelId}, not ${model.id}`);
    const id = admitted?.id ?? this.requests.wait(model.id, options.stream ?? false);
    const lease = (baseUrl: string): ModelLease => {
      this.requests.activate(id, model.id);
      return { modelId: model.id, baseUrl, release: () => this.requests.finish(id) };
    };
    if (model.upstream !== undefined) return lease(model.upstream.replace(/\/+$/, ''));
    const { signal } = options;
    try {
      // Queued under the model's maxConcurrent: a place first, then the model.
      if (admitted?.queued) await abortable(this.requests.placeOf(id), signal);
      for (;;) {
        if (signal?.aborted) throw new EngineError('conflict', 'request withdrawn by the client');
        // A newcomer goes straight through only when no switch is pending (FIFO otherwise).
        if (this.pool.isServing(model)) return lease(this.slotUrlOf(model));
        await abortable(this.ensureReady(model.id, cause, cause === 'request' ? { trigger: { requestId: id } } : {}), signal);
        // Same tick as the load's resolution: a queued switch has not started draining yet,
        // and it will wait for this lease.
        if (this.pool.isReadyFor(model)) return lease(this.slotUrlOf(model));
      }
    } catch (err) {
      this.requests.finish(id);
      throw err;
    }
  }

  stop(cause: SwitchCause): Promise<void> {
    return this.pool.stopAll(cause);
  }

  unload(modelIdOrAlias: string, cause: SwitchCause): Promise<void> {
    const model = this.model(modelIdOrAlias);
    const slot = this.pool.views().find((s) => s.modelId === model.id && s.status !== 'stopped');
    if (!slot) return Promise.resolve();
    return this.pool.unload(slot.id, cause);
  }

  swapHistory(options: { limit?: number } = {}): SwapRecord[] {
    return this.swaps.recent(options.limit ?? DEFAULT_LOAD_HISTORY_LIMIT);
  }

  recordRequest(record: RequestRecord): void {
    this.requestRecords.record(record);
  }

  requestLog(filter: RequestLogFilter = {}): RequestRecord[] {
    const model = filter.model === undefined ? undefined : (this.byName.get(filter.model)?.id ?? filter.model);
    return this.requestRecords.list(model === undefined ? filter : { ...filter, model });
  }

  /**
   * Deals with the servers an earlier run left (stopped, or adopted when one serves a catalog model
   * as the engine would launch it), then starts the catalog's preload models (in order, one load at a time).
   */
  async start(): Promise<void> {
    for (const launch of (await this.leftovers?.reconcile()) ?? []) {
      await this.pool.ensureReady(this.model(launch.modelId), 'adopt').catch((err: Error) => this.addLog('engine', `taking over ${launch.modelId}'s server failed: ${err.message}`, launch.modelId));
    }
    this.lifecycle.start();
  }

  /** Every launch this engine could make now: each launchable model on its slot's port. */
  private expectedLaunches(): ExpectedLaunch[] {
    const host = this.options.catalog.backend.host;
    return this.current.models.filter(isSlotModel).flatMap((model) => {
      try {
        const slot = this.pool.slotOf(model);
        const launch = buildLaunch(model, this.current, { host, port: slot.port });
        return [{ slotId: slot.id, modelId: model.id, host, port: slot.port, argv: launch.argv, env: launch.env }];
      } catch {
        return []; // a model that cannot be launched has no server to find
      }
    });
  }

  logs(tail: number): LogLine[] {
    return this.logBuffer.tail(tail);
  }

  async gpu(options: { refreshTopology?: boolean } = {}): Promise<GpuOverview> {
    const view = this.monitor ? await this.monitor.view(options) : { ...MONITOR_OFF, samples: [], host: null, topology: null, nvlink: null, nvlinkSets: [] };
    return { ...view, presetsW: this.current.gpu.presetsW, pendingPowerLimits: this.power.pending() };
  }

  gpuHistory(gpu: string, sinceMs?: number): GpuSample[] {
    const sample = this.monitor?.findGpu(gpu);
    if (!sample) throw new EngineError('not_found', `no GPU "${gpu}"`, { known: this.monitor?.latest().map((s) => s.uuid) ?? [] });
    return this.monitor!.history(sample.uuid, sinceMs);
  }

  setPowerLimit(gpu: string, watts: number, revertAfterS?: number): Promise<PendingPowerLimit> {
    return this.power.set(gpu, watts, revertAfterS);
  }

  confirmPowerLimit(changeId: string): Promise<{ changeId: string }> {
    return this.power.confirm(changeId);
  }

  revertPowerLimit(changeId: string): Promise<{ changeId: string; restoredW: number }> {
    return this.power.revert(changeId);
  }

  applyPowerPreset(watts: number, revertAfterS?: number): Promise<PowerPresetResult> {
    return this.power.applyPreset(watts, revertAfterS);
  }

  throughput(modelIdOrAlias: string, sinceMs?: number): ThroughputSample[] {
    return this.throughputTracker.samples(this.model(modelIdOrAlias).id, sinceMs);
  }

  async runBenchmark(modelIdOrAlias: string, options: { maxTokens?: number } = {}): Promise<BenchResult> {
    return this.bench.run(this, this.model(modelIdOrAlias).id, options);
  }

  benchHistory(): BenchHistoryView {
    return this.bench.view();
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifecycle.stop();
    await this.pool.stopAll('stop');
    // The unloads just recorded (and servers.json, now empty) are written in the background: finish
    // them before the caller (a test, or the process exiting) removes or leaves the state dir.
    await this.swaps.flushed();
    await this.requestRecords.flushed();
    await this.servers.flushed();
    this.throughputTracker.stop();
    this.stopMonitorEvents();
    await this.power.close();
    await this.monitor?.stop();
    clearTimeout(this.pendingEmit);
    this.listeners.clear();
  }

  /** The model's catalog power profile, applied before its launch; failures go to the log, never block. */
  private async applyPowerProfile(modelId: string): Promise<LoadNotes> {
    const model = this.model(modelId);
    if (model.powerLimitW === undefined || model.upstream !== undefined) return {};
    const powerLimits = await this.power.applyProfile(model, (text) => this.addLog('engine', text, model.id));
    return { powerLimits };
  }

  /**
   * /metrics polling follows one ready slot (the most recently loaded); decode log lines give
   * every loaded model's tok/s regardless.
   */
  private followThroughput(): void {
    const ready = this.pool.views().filter((s) => s.status === 'ready' && s.modelId !== null);
    const slot = ready.sort((a, b) => (b.readyAtMs ?? 0) - (a.readyAtMs ?? 0))[0];
    // A model removed from the catalog while it runs is no longer followed.
    const model = slot ? this.byName.get(slot.modelId!) : undefined;
    this.throughputTracker.follow(model ?? null, model && slot ? slotUrl(slot) : null);
  }

  private slotUrlOf(model: ModelEntry): string {
    const slot = this.pool.slotOf(model);
    return (slot.url ??= `http://${formatHost(this.options.catalog.backend.host)}:${slot.port}`);
  }

  private recordSwap(record: SwapRecord): void {
    this.swaps.append(record);
    this.emit({ type: 'swap', record });
  }

  /** Ids and aliases of the current catalog. */
  private indexModels(): void {
    this.byName.clear();
    for (const model of this.current.models) {
      this.byName.set(model.id, model);
      for (const alias of model.aliases) this.byName.set(alias, model);
    }
  }

  private model(modelId: string): ModelEntry {
    const model = this.byName.get(modelId);
    if (!model) throw unknownModelError(this.current, modelId);
    return model;
  }

  private modelView(model: ModelEntry, slots: SlotView[], pending: Set<string>): ModelView {
    const slot = slots.find((s) => s.modelId === model.id);
    const mine = slot !== undefined;
    const status = modelStatus(slot, pending.has(model.id), this.lastFailure.has(model.id));
    const idleUnloadAtMs = status === 'loaded' || status === 'sleeping' ? this.lifecycle.idleUnloadAtMs(model) : undefined;
    const failure = this.lastFailure.get(model.id);
    const limit = concurrencyLimit(model);
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
      queued: this.requests.queued(model.id),
      ...(limit ? { limit } : {}),
      ...(model.upstream === undefined ? { slotId: slotIdOf(model) } : {}),
      pinned: model.pinned,
      ...(model.switchMode === 'warm' ? { warm: true } : {}),
      idleUnloadS: this.lifecycle.idleUnloadS(model),
      ...(idleUnloadAtMs !== undefined ? { idleUnloadAtMs } : {}),
    };
  }

  private addLog(stream: LogLine['stream'], text: string, modelId: string | null): void {
    const line = this.logBuffer.push({ atMs: Date.now(), stream, text, modelId });
    this.emit({ type: 'log', line });
  }

  /** Status and phase changes go out at once (and whatever `force`s it: a notice); progress-only changes are coalesced. */
  private emitState(force = false): void {
    if (this.listeners.size === 0) return;
    if (force) return this.flushState(this.lastEmitted ?? '');
    const key = this.pool
      .views()
      .map((slot) => `${slot.id}:${slot.status}|${slot.modelId}|${slot.progress?.phase}|${slot.draining}|${slot.queue.map((q) => `${q.modelId}:${q.waiters}`).join(',')}`)
      .join(';');
    if (key !== this.lastEmitted) {
      this.flushState(key);
      return;
    }
    this.pendingEmit ??= setTimeout(() => this.flushState(key), PROGRESS_EVENT_INTERVAL_MS);
  }

  /**
   * A request started or ended: that changes no slot, so it goes out with the next coalesced state
   * without working out the slots' key (three times per request on the router's hot path).
   */
  private emitRequestsChanged(): void {
    if (this.listeners.size === 0) return;
    this.pendingEmit ??= setTimeout(() => this.flushState(this.lastEmitted ?? ''), PROGRESS_EVENT_INTERVAL_MS);
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
  if (slot && (slot.status === 'starting' || slot.status === 'loading' || slot.status === 'waking')) return 'loading';
  if (slot && (slot.status === 'sleeping' || slot.status === 'releasing') && !pending) return 'sleeping';
  if (pending) return 'loading';
  if (slot?.status === 'failed' || failedBefore) return 'failed';
  return 'unloaded';
}

function slotUrl(slot: SlotView): string {
  return `http://${formatHost(slot.host)}:${slot.port}`;
}

/** A model's catalog limit on requests at once, with its queue's size (maxQueued defaults when only maxConcurrent is set). */
function concurrencyLimit(model: ModelEntry | undefined): ConcurrencyLimit | undefined {
  if (model?.maxConcurrent === undefined) return undefined;
  return { maxConcurrent: model.maxConcurrent, maxQueued: model.maxQueued ?? DEFAULT_MAX_QUEUED };
}
