import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import type { RequestRegistry } from './request-registry.js';
import type { SlotPool } from './slot-pool.js';

export interface ModelLifecycleOptions {
  catalog(): Catalog;
  pool: SlotPool;
  requests: RequestRegistry;
  /** A model by id or alias in the current catalog. */
  model(id: string): ModelEntry | undefined;
  /** Preload and default-model failures are logged, not thrown: nobody waits for them. */
  onError(text: string): void;
  /** How often idle models are looked at (default 500 ms). */
  tickMs?: number;
  now?: () => number;
}

/**
 * What happens to models without anyone asking: the catalog's `preload` list at start, the idle
 * unload (`idleUnloadS` per model, else the catalog's; counted from the end of the model's last
 * request — or from its load — and never while a request runs or waits for it), and the return to
 * `defaultModel` after an idle unload. The default model itself never idles out.
 */
export class ModelLifecycle {
  private timer: NodeJS.Timeout | undefined;
  private readonly unloading = new Set<string>();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: ModelLifecycleOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts the preload models (in catalog order; the pool loads one at a time) and the idle clock. */
  start(): void {
    for (const id of this.opts.catalog().preload) {
      const model = this.opts.model(id);
      if (!model) continue; // the catalog check reports unknown ids
      this.opts.pool.ensureReady(model, 'preload').catch((err: Error) => this.opts.onError(`preload of ${id} failed: ${err.message}`));
    }
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The model's idle timeout in seconds; 0 = never (also for the default model). */
  idleUnloadS(model: ModelEntry): number {
    if (this.isDefault(model)) return 0;
    return model.idleUnloadS ?? this.opts.catalog().idleUnloadS ?? 0;
  }

  /**
   * When the loaded (or sleeping) idle model will be unloaded; undefined when it never will or a
   * request runs or waits. A sleeping server holds host RAM and a port: it idles out like a loaded one.
   */
  idleUnloadAtMs(model: ModelEntry): number | undefined {
    const idleS = this.idleUnloadS(model);
    if (idleS <= 0) return undefined;
    const { requests } = this.opts;
    if (requests.inFlight(model.id) > 0 || requests.waiting(model.id) > 0) return undefined;
    const slot = this.opts.pool.views().find((s) => s.modelId === model.id && (s.status === 'ready' || s.status === 'sleeping'));
    const since = slot?.readyAtMs ?? slot?.sleptAtMs;
    if (!slot || since === undefined) return undefined;
    return Math.max(since, requests.lastFinished(model.id) ?? 0) + idleS * 1000;
  }

  /** One look at every loaded model; public for tests. */
  tick(): void {
    if (this.stopped || !this.hasIdleUnload() || !this.opts.pool.isQuiet()) return;
    const now = this.now();
    for (const slot of this.opts.pool.views()) {
      if ((slot.status !== 'ready' && slot.status !== 'sleeping') || slot.modelId === null || this.unloading.has(slot.modelId)) continue;
      const model = this.opts.model(slot.modelId);
      const at = model ? this.idleUnloadAtMs(model) : undefined;
      if (!model || at === undefined || now < at) continue;
      this.unloading.add(model.id);
      // A sleeper held no GPU memory: its end frees nothing to return to the default model with.
      const asleep = slot.status === 'sleeping';
      this.opts.pool
        .unload(slot.id, 'idle')
        .then(() => (asleep ? undefined : this.returnToDefault()))
        .catch((err: Error) => this.opts.onError(`idle unload of ${model.id} failed: ${err.message}`))
        .finally(() => this.unloading.delete(model.id));
    }
  }

  /** True when some model may idle out: without one, a tick has nothing to look at (and allocates nothing). */
  private hasIdleUnload(): boolean {
    const catalog = this.opts.catalog();
    return catalog.idleUnloadS > 0 || catalog.models.some((m) => (m.idleUnloadS ?? 0) > 0);
  }

  private returnToDefault(): void {
    const id = this.opts.catalog().defaultModel;
    const model = id === undefined ? undefined : this.opts.model(id);
    if (this.stopped || !model) return;
    const loaded = this.opts.pool.views().some((s) => s.modelId === model.id && (s.status === 'ready' || s.status === 'loading' || s.status === 'starting'));
    if (loaded || this.opts.pool.pendingModels().has(model.id)) return;
    this.opts.pool.ensureReady(model, 'default').catch((err: Error) => this.opts.onError(`return to the default model ${model.id} failed: ${err.message}`));
  }

  private isDefault(model: ModelEntry): boolean {
    const id = this.opts.catalog().defaultModel;
    return id !== undefined && (id === model.id || model.aliases.includes(id));
  }
}
