import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import type { QueuedSwitch, SlotView, SwitchCause } from '../../../shared/engine-state.js';
import { EngineError } from '../../../shared/engine-error.js';
import { assignSlotPorts, gpuSetOf, isSlotModel, overlaps, slotIdOf, type GpuSet } from '../../../shared/gpu-sets.js';
import { planEviction, type RunningSlot } from './plan-eviction.js';
import { rejectAll, SerialRunner, type Waiter } from './serial-runner.js';
import type { SlotSwitcher } from './slot-switcher.js';
import { DEFAULT_MAX_SLEEPERS } from '../../../shared/catalog-constants.js';

/** Who asked for a load or an unload: shown in the swap history. */
export interface SwapTrigger {
  /** The model whose load needed the GPUs (evictions), or that was asked for. */
  forModel?: string;
  /** The router request that asked (cause 'request'). */
  requestId?: string;
}

export interface SlotPoolOptions {
  /** The catalog in use (read at each decision: models, ports, pins). */
  catalog(): Catalog;
  /** Builds the switcher of one slot (the engine wires its backend, logs and history). */
  createSlot(slotId: string, port: number, gpus: GpuSet): SlotSwitcher;
  onChange(): void;
  /**
   * Runs when a load reaches the head of the FIFO, before anything is stopped or launched: throws
   * (EngineError 'will_not_fit') to refuse it, which it must not do when `force`. Not called for
   * taking over a server that already runs ('adopt') nor for a model already serving in its slot.
   * `waking`: the model's server sleeps in its slot and will be woken, not launched.
   */
  checkFit?(model: ModelEntry, force: boolean, waking: boolean): Promise<void>;
  /**
   * Whether a warm model's ready server may go to sleep now instead of stopping (host RAM for its
   * weights, and so on); false stops it cold. Not asked for cold models, nor when maxSleepers is 0.
   */
  maySleep?(model: ModelEntry, switcher: SlotSwitcher): Promise<boolean>;
}

/** A load asked for with `force` skips the fit check. */
export interface LoadOptions {
  force?: boolean;
}

type HostOp =
  | { kind: 'load'; modelId: string; cause: SwitchCause; trigger: SwapTrigger; waiters: Waiter<SlotView>[]; force: boolean; settled?: boolean }
  | { kind: 'unload'; slotId: string; cause: SwitchCause; waiters: Waiter<void>[] };

export interface Slot {
  id: string;
  gpus: GpuSet;
  port: number;
  switcher: SlotSwitcher;
  /** `http://host:port`, cached by the engine (acquire runs on every proxied request). */
  url?: string;
}

/**
 * The host's slots: one SlotSwitcher per GPU set, and one FIFO that decides every load and unload
 * across them. A load evicts exactly the running slots whose GPUs overlap the model's (after their
 * in-flight requests drain), then loads the model in its own slot. Only this loop enqueues work into
 * the slots and it awaits each step, so two slots never hold one GPU and no slot waits on another.
 * Slots whose GPU sets are disjoint serve at the same time; their loads run one after another.
 */
export class SlotPool {
  private readonly slots = new Map<string, Slot>();
  private readonly ops = new SerialRunner<HostOp>(
    (op) => (op.kind === 'load' ? this.executeLoad(op) : this.executeUnload(op)),
    () => this.opts.onChange(),
  );

  constructor(private readonly opts: SlotPoolOptions) {}

  /**
   * Waits until `model` is ready in its slot, joining a load of it under way or queued. The fit check
   * runs in the load's turn (so it sees the GPUs as the loads before it left them, and a refusal keeps
   * the FIFO order); a `force` caller joining a queued load lifts the check for it.
   */
  ensureReady(model: ModelEntry, cause: SwitchCause, trigger: SwapTrigger = {}, options: LoadOptions = {}): Promise<SlotView> {
    const slot = this.slotOf(model);
    if (this.isServing(model)) return Promise.resolve(slot.switcher.view());
    // A request that would have to evict a pinned model is refused now, not after waiting its turn.
    const refusal = this.refusal(model, cause);
    if (refusal) return Promise.reject(refusal);
    return new Promise<SlotView>((resolve, reject) => {
      const waiter = { resolve, reject };
      const joinable = this.findJoinableLoad(model.id);
      if (joinable) {
        joinable.waiters.push(waiter);
        if (options.force) joinable.force = true;
      } else this.ops.enqueue({ kind: 'load', modelId: model.id, cause, trigger: { forModel: model.id, ...trigger }, waiters: [waiter], force: options.force === true });
      this.opts.onChange();
    });
  }

  /** Unloads one slot in FIFO order, after its in-flight requests drain (idle unload). */
  unload(slotId: string, cause: SwitchCause): Promise<void> {
    return new Promise<void>((resolve, reject) => this.ops.enqueue({ kind: 'unload', slotId, cause, waiters: [{ resolve, reject }] }));
  }

  /** Stops every slot now: queued loads are rejected, loads under way are abandoned. */
  async stopAll(cause: SwitchCause): Promise<void> {
    for (const op of this.ops.queue.splice(0)) {
      if (op.kind === 'load') rejectAll(op.waiters, new EngineError('conflict', `switch to ${op.modelId} cancelled by stop`));
      else op.waiters.forEach((w) => w.resolve());
    }
    await Promise.all([...this.slots.values()].map((s) => s.switcher.stop(cause)));
  }

  /**
   * True when a request for the model may go out at once: loaded in its slot, and no load or unload
   * waiting in the FIFO would replace or evict that slot (newcomers queue behind those).
   */
  isServing(model: ModelEntry): boolean {
    const slot = this.slots.get(slotIdOf(model));
    if (!slot?.switcher.isServing(model.id)) return false;
    return !this.ops.all().some((op) => this.opAffects(op, slot, model.id));
  }

  /** True when the model is loaded and its slot not draining (a caller whose wait just ended may send). */
  isReadyFor(model: ModelEntry): boolean {
    return this.slots.get(slotIdOf(model))?.switcher.isReadyFor(model.id) ?? false;
  }

  /** The slot a model runs in (created on first use, with its port). */
  slotOf(model: ModelEntry): Slot {
    const gpus = gpuSetOf(model);
    const id = slotIdOf(model);
    let slot = this.slots.get(id);
    if (!slot) {
      const port = assignSlotPorts(this.opts.catalog()).get(id);
      if (port === undefined) throw new EngineError('internal', `no port for slot ${id}`);
      slot = { id, gpus, port, switcher: this.opts.createSlot(id, port, gpus) };
      this.slots.set(id, slot);
    }
    return slot;
  }

  /** Creates the slot of every launchable catalog model, so the state lists them before their first load. */
  syncWithCatalog(): void {
    for (const model of this.opts.catalog().models) if (isSlotModel(model)) this.slotOf(model);
  }

  /** Every slot created so far, by id, each with the host-wide queue entries that concern it. */
  views(): SlotView[] {
    return [...this.slots.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((slot) => {
        const view = slot.switcher.view();
        const hostQueue = this.queuedFor(slot);
        // The host is evicting other slots for a load into this one: that load is this slot's pending switch.
        const current = this.ops.current;
        const evictingFor =
          !view.pending && current?.kind === 'load' && !current.settled && this.slotIdOf(current.modelId) === slot.id
            ? { pending: { modelId: current.modelId, waiters: current.waiters.length, cause: current.cause } }
            : {};
        return { ...view, ...evictingFor, gpus: slot.gpus.all ? null : slot.gpus.gpus, queue: [...view.queue, ...hostQueue] };
      });
  }

  /** Models with a load under way or queued anywhere. */
  pendingModels(): Set<string> {
    const ids = new Set<string>();
    for (const op of this.ops.all()) if (op.kind === 'load' && !op.settled) ids.add(op.modelId);
    for (const slot of this.slots.values()) for (const id of slot.switcher.pendingModels()) ids.add(id);
    return ids;
  }

  /** A slot changed (its switcher calls this): passes the change on. */
  notifyChange(): void {
    this.opts.onChange();
  }

  /** True when nothing is queued or running host-wide (the idle reaper only acts then). */
  isQuiet(): boolean {
    return this.ops.idle;
  }

  private queuedFor(slot: Slot): QueuedSwitch[] {
    return this.ops.queue
      .filter((op): op is Extract<HostOp, { kind: 'load' }> => op.kind === 'load' && this.slotIdOf(op.modelId) === slot.id)
      .map((op) => ({ modelId: op.modelId, waiters: op.waiters.length, cause: op.cause }));
  }

  private slotIdOf(modelId: string): string | undefined {
    const model = this.opts.catalog().models.find((m) => m.id === modelId);
    return model ? slotIdOf(model) : undefined;
  }

  /** Whether a queued or running op would replace or evict `slot` (so `modelId` there must wait). */
  private opAffects(op: HostOp, slot: Slot, modelId: string): boolean {
    if (op.kind === 'unload') return op.slotId === slot.id;
    if (op.settled || op.modelId === modelId) return false;
    const target = this.opts.catalog().models.find((m) => m.id === op.modelId);
    return target !== undefined && overlaps(gpuSetOf(target), slot.gpus);
  }

  /** Why loading the model now would be refused (a pinned model on its GPUs), or undefined. */
  refusal(model: ModelEntry, cause: SwitchCause): EngineError | undefined {
    if (this.isServing(model)) return undefined;
    const plan = planEviction({ modelId: model.id, slotId: slotIdOf(model), gpus: gpuSetOf(model) }, this.runningSlots(), cause);
    if (plan.ok) return undefined;
    return new EngineError('conflict', plan.message, { pinned: plan.pinned.map((s) => s.modelId), model: model.id });
  }

  private runningSlots(): RunningSlot[] {
    const pinned = new Set(
      this.opts
        .catalog()
        .models.filter((m) => m.pinned)
        .map((m) => m.id),
    );
    return [...this.slots.values()].flatMap((slot) => {
      const view = slot.switcher.view();
      if (!view.modelId || view.status === 'stopped' || view.status === 'failed') return [];
      return [{ slotId: slot.id, modelId: view.modelId, gpus: slot.gpus, pinned: pinned.has(view.modelId), status: view.status }];
    });
  }

  private findJoinableLoad(modelId: string): Extract<HostOp, { kind: 'load' }> | undefined {
    const queued = this.ops.queue.find((op) => op.kind === 'load' && op.modelId === modelId);
    if (queued?.kind === 'load') return queued;
    const current = this.ops.current;
    if (current?.kind === 'load' && current.modelId === modelId && !current.settled) return current;
    return undefined;
  }

  private async executeLoad(op: Extract<HostOp, { kind: 'load' }>): Promise<void> {
    try {
      const model = this.opts.catalog().models.find((m) => m.id === op.modelId);
      if (!model) throw new EngineError('unknown_model', `model ${op.modelId} is no longer in the catalog`);
      const slot = this.slotOf(model);
      const plan = planEviction({ modelId: model.id, slotId: slot.id, gpus: slot.gpus }, this.runningSlots(), op.cause);
      if (!plan.ok) throw new EngineError('conflict', plan.message, { pinned: plan.pinned.map((s) => s.modelId), model: model.id });
      if (op.cause !== 'adopt' && !slot.switcher.isServing(model.id)) await this.opts.checkFit?.(model, op.force, slot.switcher.isSleeping());
      // The model's own slot switches inside itself (drain, stop, load); other overlapping slots are evicted
      // first — a warm model's server is put to sleep instead when it may.
      for (const victim of plan.evict.filter((v) => v.slotId !== slot.id)) await this.evict(this.slots.get(victim.slotId)!, victim.modelId, model.id);
      settle(op, await slot.switcher.ensureReady(model.id, op.cause, op.trigger));
    } catch (err) {
      settle(op, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Makes `victim` give its GPUs to `forModel`: sleep (warm, allowed, room for one more sleeper) or stop. */
  private async evict(victim: Slot, modelId: string, forModel: string): Promise<void> {
    const model = this.opts.catalog().models.find((m) => m.id === modelId);
    const max = this.opts.catalog().backend.maxSleepers ?? DEFAULT_MAX_SLEEPERS;
    if (model?.switchMode === 'warm' && max > 0 && victim.switcher.view().status === 'ready' && (await this.opts.maySleep?.(model, victim.switcher)) === true) {
      // At most `max` asleep: the one asleep longest is stopped to make room.
      const sleepers = [...this.slots.values()].filter((s) => s !== victim && s.switcher.isSleeping()).sort((a, b) => (a.switcher.view().sleptAtMs ?? 0) - (b.switcher.view().sleptAtMs ?? 0));
      for (const old of sleepers.slice(0, Math.max(0, sleepers.length - max + 1))) await old.switcher.stop('evict', { forModel });
      await victim.switcher.sleep('evict', { forModel });
      return;
    }
    await victim.switcher.stop('evict', { drain: true, forModel });
  }

  private async executeUnload(op: Extract<HostOp, { kind: 'unload' }>): Promise<void> {
    try {
      await this.slots.get(op.slotId)?.switcher.stop(op.cause, { drain: true });
      op.waiters.forEach((w) => w.resolve());
    } catch (err) {
      rejectAll(op.waiters, err);
    }
  }
}

function settle(op: Extract<HostOp, { kind: 'load' }>, outcome: SlotView | Error): void {
  op.settled = true;
  for (const w of op.waiters) {
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }
}
