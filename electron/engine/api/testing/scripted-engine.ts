import { catalogSchema, type Catalog, type CatalogInput, type ModelEntry } from '../../../../shared/catalog-schema.js';
import type { EngineEvent, EngineNotice, EngineState, LoadRecord, LogLine, ModelStatus, ModelView, SlotView, SwapRecord, SwitchCause } from '../../../../shared/engine-state.js';
import type { Failure } from '../../../../shared/failure.js';
import type { GpuOverview, GpuSample, PendingPowerLimit, PowerPresetResult } from '../../../../shared/gpu-types.js';
import type { BenchHistoryView, BenchResult, ThroughputSample } from '../../../../shared/throughput.js';
import type { LoadPhase } from '../../../../shared/load-phase.js';
import type { Engine, ModelLease, RequestAdmission } from '../../engine-api.js';
import type { FitEstimate } from '../../fit/estimate-fit.js';
import { EngineError } from '../../../../shared/engine-error.js';
import { DEFAULT_REQUEST_LIMIT, matchesRequestFilter, type RequestLogFilter, type RequestRecord } from '../../../../shared/request-log.js';
import { resolveModelId, unknownModelError } from '../../catalog/resolve-model-id.js';

/** The catalog the API and CLI tests use: three models, some aliases. */
export const TEST_CATALOG: CatalogInput = {
  models: [
    { id: 'qwen-32b', label: 'Qwen 32B', aliases: ['qwen'], modelPath: '/models/qwen', tp: 2, gpus: [0, 1] },
    { id: 'llama-70b', modelPath: '/models/llama', tp: 4, gpus: [0, 1, 2, 3] },
    { id: 'mistral-123b', aliases: ['mistral', 'large'], modelPath: '/models/mistral', tp: 4 },
  ],
};

const NO_GPU = 'no NVIDIA GPU found (scripted engine)';

interface Waiter {
  resolve(slot: SlotView): void;
  reject(err: Error): void;
}

/**
 * A real, single-slot Engine whose loads advance only when the test says so (test support for the
 * HTTP API and the CLI while the real engine is built elsewhere). Every transition emits `state`.
 */
export class ScriptedEngine implements Engine {
  /** Called after a switch has started (slot `starting`); tests drive the load from here. */
  onSwitch: ((modelId: string, cause: SwitchCause) => void) | null = null;
  readonly switches: Array<{ modelId: string; cause: SwitchCause }> = [];
  readonly stops: SwitchCause[] = [];
  private validCatalog: Catalog;
  private readonly loads: LoadRecord[] = [];
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly noticesById = new Map<string, EngineNotice>();
  private readonly lines: LogLine[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly startedAtMs = Date.now() - 65_000;
  private typicalLoadMs: number | null = 40_000;
  private slot: SlotView = { id: 'main', status: 'stopped', modelId: null, host: '127.0.0.1', port: 8001, queue: [] };

  constructor(catalog: CatalogInput = TEST_CATALOG) {
    this.validCatalog = catalogSchema.parse(catalog);
  }

  state(): EngineState {
    return {
      version: '0.0.0-test',
      startedAtMs: this.startedAtMs,
      activeModel: this.slot.status === 'ready' ? this.slot.modelId : null,
      activeModels: this.slot.status === 'ready' && this.slot.modelId ? [this.slot.modelId] : [],
      preload: [],
      defaultModel: null,
      slots: [structuredClone(this.slot)],
      models: this.validCatalog.models.map((m) => this.modelView(m.id)),
      requests: [],
      configPath: '/tmp/switchboard-test.yaml',
      notices: [...this.noticesById.values()],
    };
  }

  catalog(): Catalog {
    return this.validCatalog;
  }

  replaceCatalog(catalog: Catalog, revision: string): string[] {
    this.validCatalog = catalog;
    this.emit({ type: 'catalog', revision });
    this.emitState();
    return [];
  }

  loadHistory(options: { model?: string; limit?: number } = {}): LoadRecord[] {
    const id = options.model === undefined ? undefined : (resolveModelId(this.validCatalog, options.model) ?? options.model);
    const records = this.loads.filter((r) => id === undefined || r.modelId === id);
    return records.slice(-(options.limit ?? 100));
  }

  ensureReady(modelIdOrAlias: string, cause: SwitchCause): Promise<SlotView> {
    const modelId = resolveModelId(this.validCatalog, modelIdOrAlias);
    if (modelId === null) return Promise.reject(unknownModelError(this.validCatalog, modelIdOrAlias));
    if (this.slot.modelId === modelId && this.slot.status === 'ready') return Promise.resolve(structuredClone(this.slot));
    const joining = this.slot.modelId === modelId && (this.slot.status === 'starting' || this.slot.status === 'loading');
    const promise = new Promise<SlotView>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!joining) this.startLoad(modelId, cause);
    return promise;
  }

  async acquire(modelIdOrAlias: string, cause: SwitchCause): Promise<ModelLease> {
    const slot = await this.ensureReady(modelIdOrAlias, cause);
    return { modelId: slot.modelId!, baseUrl: `http://${slot.host}:${slot.port}`, release: () => undefined };
  }

  /** No limits in the scripted engine: every request holds a place at once. */
  admit(modelIdOrAlias: string): RequestAdmission {
    const modelId = resolveModelId(this.validCatalog, modelIdOrAlias);
    if (modelId === null) throw unknownModelError(this.validCatalog, modelIdOrAlias);
    return { id: `scripted-${modelId}`, modelId, queued: false, placed: Promise.resolve(), release: () => undefined };
  }

  async reportUnreachable(): Promise<boolean> {
    return false;
  }

  isServing(modelIdOrAlias: string): boolean {
    const id = resolveModelId(this.validCatalog, modelIdOrAlias);
    return this.slot.status === 'ready' && this.slot.modelId === id;
  }

  placementRefusal(): EngineError | undefined {
    return undefined;
  }

  async checkFit(): Promise<FitEstimate | null> {
    return null;
  }

  async estimateFitOf(): Promise<FitEstimate | null> {
    return null;
  }

  async estimateFit(): Promise<FitEstimate | null> {
    return null;
  }

  async unload(modelIdOrAlias: string, cause: SwitchCause): Promise<void> {
    if (this.resolveModel(modelIdOrAlias)?.id === this.slot.modelId) await this.stop(cause);
  }

  swapHistory(): SwapRecord[] {
    return [];
  }

  /** Recorded router requests, oldest first (tests may push their own). */
  readonly requestRecords: RequestRecord[] = [];

  recordRequest(record: RequestRecord): void {
    this.requestRecords.push(record);
  }

  requestLog(filter: RequestLogFilter = {}): RequestRecord[] {
    const model = filter.model === undefined ? undefined : (resolveModelId(this.validCatalog, filter.model) ?? filter.model);
    const wanted = model === undefined ? filter : { ...filter, model };
    return this.requestRecords
      .filter((r) => matchesRequestFilter(r, wanted))
      .reverse()
      .slice(0, filter.limit ?? DEFAULT_REQUEST_LIMIT);
  }

  resolveModel(modelIdOrAlias: string): ModelEntry | undefined {
    const id = resolveModelId(this.validCatalog, modelIdOrAlias);
    return this.validCatalog.models.find((m) => m.id === id);
  }

  async stop(cause: SwitchCause): Promise<void> {
    this.stops.push(cause);
    this.rejectWaiters(new EngineError('conflict', 'the backend was stopped'));
    this.slot = { ...this.slot, status: 'stopped', modelId: null, progress: undefined, failure: undefined };
    this.emitState();
  }

  logs(tail: number): LogLine[] {
    return tail === 0 ? [] : this.lines.slice(-tail).map((l) => ({ ...l }));
  }

  async gpu(_options?: { refreshTopology?: boolean }): Promise<GpuOverview> {
    return { available: false, reason: NO_GPU, samples: [], host: null, topology: null, nvlink: null, nvlinkSets: [], presetsW: this.validCatalog.gpu.presetsW, pendingPowerLimits: [] };
  }

  gpuHistory(gpu: string, _sinceMs?: number): GpuSample[] {
    throw new EngineError('not_found', `no GPU "${gpu}"`);
  }

  async setPowerLimit(_gpu: string, _watts: number, _revertAfterS?: number): Promise<PendingPowerLimit> {
    throw new EngineError('unavailable', NO_GPU);
  }

  async confirmPowerLimit(_changeId: string): Promise<{ changeId: string }> {
    throw new EngineError('unavailable', NO_GPU);
  }

  async revertPowerLimit(_changeId: string): Promise<{ changeId: string; restoredW: number }> {
    throw new EngineError('unavailable', NO_GPU);
  }

  async applyPowerPreset(_watts: number, _revertAfterS?: number): Promise<PowerPresetResult> {
    throw new EngineError('unavailable', NO_GPU);
  }

  throughput(_modelIdOrAlias: string, _sinceMs?: number): ThroughputSample[] {
    return [];
  }

  async runBenchmark(_modelIdOrAlias: string, _options?: { maxTokens?: number }): Promise<BenchResult> {
    throw new EngineError('conflict', 'the scripted engine does not run benchmarks');
  }

  benchHistory(): BenchHistoryView {
    return { runs: [], summary: [] };
  }

  note(text: string): void {
    this.log(text, 'engine');
  }

  setNotice(id: string, notice: { level: EngineNotice['level']; message: string } | null): void {
    if (notice) this.noticesById.set(id, { id, ...notice, atMs: Date.now() });
    else this.noticesById.delete(id);
    this.emitState();
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.rejectWaiters(new EngineError('conflict', 'the engine closed'));
    this.listeners.clear();
  }

  /** How many subscribers are attached (SSE clients, in the tests). */
  listenerCount(): number {
    return this.listeners.size;
  }

  /** Moves the current load to `phase`. */
  progress(phase: LoadPhase, phaseFraction?: number, detail?: string): void {
    this.slot = { ...this.slot, status: 'loading', progress: { phase, phaseFraction, detail }, etaMs: 20_000 };
    this.emitState();
  }

  /** Finishes the current load successfully. */
  ready(): void {
    const now = Date.now();
    this.slot = { ...this.slot, status: 'ready', progress: { phase: 'ready' }, readyAtMs: now, etaMs: undefined };
    this.typicalLoadMs = now - (this.slot.loadStartedAtMs ?? now);
    this.emitLoad('ready');
    this.emitState();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(structuredClone(this.slot));
  }

  /** Fails the current load with a diagnosis. */
  fail(failure: Omit<Failure, 'atMs'>): void {
    const full: Failure = { ...failure, atMs: Date.now() };
    this.slot = { ...this.slot, status: 'failed', failure: full, etaMs: undefined };
    this.emitLoad('failed');
    this.emitState();
    this.rejectWaiters(new EngineError('load_failed', full.message, { failure: full }));
  }

  /** Appends one backend log line. */
  log(text: string, stream: LogLine['stream'] = 'stdout'): LogLine {
    const line: LogLine = { seq: this.lines.length + 1, atMs: Date.now(), stream, text, modelId: this.slot.modelId };
    this.lines.push(line);
    this.emit({ type: 'log', line });
    return line;
  }

  private startLoad(modelId: string, cause: SwitchCause): void {
    this.switches.push({ modelId, cause });
    const now = Date.now();
    this.slot = { ...this.slot, status: 'starting', modelId, loadStartedAtMs: now, readyAtMs: undefined, failure: undefined, progress: { phase: 'launching' }, etaMs: 40_000 };
    this.emitState();
    this.onSwitch?.(modelId, cause);
  }

  private modelView(id: string): ModelView {
    const entry = this.validCatalog.models.find((m) => m.id === id)!;
    const held = this.slot.modelId === id;
    const status: ModelStatus = !held ? 'unloaded' : this.slot.status === 'ready' ? 'loaded' : this.slot.status === 'failed' ? 'failed' : 'loading';
    return {
      id,
      label: entry.label ?? id,
      aliases: entry.aliases,
      kind: entry.script ? 'script' : 'launch',
      status,
      ...(status === 'loading' ? { progress: this.slot.progress, etaMs: this.slot.etaMs } : {}),
      ...(held && this.slot.failure ? { lastFailure: this.slot.failure } : {}),
      typicalLoadMs: id === 'qwen-32b' ? this.typicalLoadMs : null,
      tp: entry.tp,
      gpus: entry.gpus,
      inFlight: 0,
      queued: 0,
    };
  }

  private emitLoad(outcome: 'ready' | 'failed'): void {
    const failure = this.slot.failure;
    const record: LoadRecord = {
      modelId: this.slot.modelId!,
      startedAtMs: this.slot.loadStartedAtMs ?? Date.now(),
      endedAtMs: Date.now(),
      outcome,
      cause: this.switches.at(-1)?.cause ?? 'manual',
      phaseMs: {},
      ...(failure ? { failure: { cause: failure.cause, message: failure.message } } : {}),
    };
    this.loads.push(record);
    this.emit({ type: 'load', record });
  }

  private emitState(): void {
    this.emit({ type: 'state', state: this.state() });
  }

  private emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private rejectWaiters(err: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }
}
