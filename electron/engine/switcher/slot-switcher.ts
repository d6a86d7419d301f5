import type { Failure } from '../../../shared/failure.js';
import type { LoadPhase, LoadProgress } from '../../../shared/load-phase.js';
import { stallWarnAfterMs } from '../../../shared/stall-timeouts.js';
import type { LogEvent } from '../../../shared/log-event.js';
import type { LoadRecord, QueuedSwitch, SlotStatus, SlotView, SwitchCause } from '../../../shared/engine-state.js';
import { EngineError } from '../../../shared/engine-error.js';
import type { BackendExit, BackendInstance, BackendLaunch, ProcessBackend } from '../backends/process-backend.js';
import type { HealthProbe } from '../backends/probe-health.js';
import { diagnoseFailure, FAILURE_HINTS } from '../logs/diagnose-failure.js';
import { estimateEtaMs, typicalPhaseMs } from './estimate-eta.js';
import type { LoadHistory } from './load-history.js';
import { LoadWatch } from './load-watch.js';
import { rejectAll, SerialRunner, type Waiter } from './serial-runner.js';
import { waitForReady, type ReadyOutcome } from './wait-for-ready.js';

export interface SlotSwitcherOptions {
  slotId: string;
  host: string;
  port: number;
  backend: ProcessBackend;
  history: LoadHistory;
  /** Builds the launch for a model id (throws when the model cannot be launched). */
  launchFor(modelId: string, host: string, port: number): BackendLaunch;
  /** Resolves when the port is free; throws a Failure-carrying EngineError naming the holder otherwise. */
  ensurePortFree(host: string, port: number): Promise<void>;
  /**
   * Runs before the port check: deals with a server an earlier run of the engine left on the port —
   * returns it when it serves this very model and is ready (adopted: no launch), stops it otherwise.
   */
  takeOver?(modelId: string, host: string, port: number): Promise<BackendInstance | undefined>;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  /** How long a load of the model may show no progress in a phase before it is `stuck` (null: no limit). */
  stallLimitMs?(modelId: string, phase: LoadPhase): number | null;
  /** A line for the engine log about this slot (a retry after a stuck load). */
  onNote?(text: string, modelId: string): void;
  /** Resolves when the model's in-flight requests have finished, or its drain timeout passed. */
  drain?(modelId: string): Promise<void>;
  probeIntervalMs?: number;
  onLine(stream: 'stdout' | 'stderr', text: string, modelId: string): void;
  onEvent?(event: LogEvent, modelId: string): void;
  /**
   * Runs after the previous model is stopped and before the launch (the power profile); what it returns is
   * added to the load record. Must not throw: its failures are its own to report.
   */
  beforeLaunch?(modelId: string): Promise<LoadNotes>;
  onChange(): void;
  onLoadFinished(record: LoadRecord): void;
  /** A model's server was stopped (a switch, an eviction, idle, stop) or was found dead while serving (cause 'crash'). */
  onUnloaded?(unload: { modelId: string; cause: SwitchCause; forModel?: string; atMs: number }): void;
  /**
   * A warm model's server: puts it to sleep and wakes it (SGLang's memory occupation routes). Each call
   * throws when it did not go to plan; the slot then stops the server (a failed wake loads it cold).
   */
  sleeper?: SlotSleeper;
  /** A sleep or wake ended (with `fallback` when the server was stopped instead). */
  onSleepChange?(change: SleepChange): void;
  now?: () => number;
}

/** Puts one server to sleep and wakes it; see SlotSwitcherOptions.sleeper. */
export interface SlotSleeper {
  sleep(instance: BackendInstance, modelId: string, port: number): Promise<void>;
  wake(instance: BackendInstance, modelId: string, port: number): Promise<void>;
}

export interface SleepChange {
  action: 'sleep' | 'wake';
  modelId: string;
  atMs: number;
  durationMs: number;
  ok: boolean;
  /** Why the server was stopped instead (not ok). */
  fallback?: string;
  cause: SwitchCause;
  forModel?: string;
}

/** What a load's record carries besides its outcome and timing. */
export type LoadNotes = Pick<LoadRecord, 'powerLimits'>;

type Op =
  | { kind: 'load'; modelId: string; cause: SwitchCause; trigger?: LoadRecord['trigger']; waiters: Waiter<SlotView>[]; settled?: boolean }
  | { kind: 'stop'; cause: SwitchCause; drain: boolean; forModel?: string; waiters: Waiter<void>[] }
  | { kind: 'sleep'; cause: SwitchCause; forModel?: string; waiters: Waiter<boolean>[] };

/** How a stop goes: `drain` lets the model's in-flight requests finish first (evictions, idle unloads). */
export interface StopOptions {
  drain?: boolean;
  /** The model whose load needs this slot's GPUs (an eviction), for the swap history. */
  forModel?: string;
}

/**
 * The single writer of one backend slot. Callers ask `ensureReady(model)`; one run loop decides,
 * in FIFO order, so two SGLang servers never start on one port and a failed load is never retried
 * by the switcher itself (only a new request starts it again). See README.md for the state diagram.
 */
export class SlotSwitcher {
  private status: SlotStatus = 'stopped';
  private modelId: string | null = null;
  private progress: LoadProgress | undefined;
  private failure: Failure | undefined;
  private loadStartedAtMs: number | undefined;
  private readyAtMs: number | undefined;
  private instance: BackendInstance | undefined;
  private watch: LoadWatch | undefined;
  private readonly ops = new SerialRunner<Op>(
    (op) => (op.kind === 'load' ? this.executeLoad(op) : op.kind === 'sleep' ? this.executeSleep(op) : this.executeStop(op)),
    () => this.opts.onChange(),
  );
  /** When the server went to sleep (status sleeping). */
  private sleptAtMs: number | undefined;
  private abortLoad: (() => void) | undefined;
  /** Set by a stop that abandons loads: a stuck load is then not tried again. Cleared when the stop ran. */
  private stopRequested = false;
  /** A crashed server that still had processes: being stopped; the next launch waits for it. */
  private dying: Promise<unknown> | undefined;
  private draining = false;
  private readonly now: () => number;

  constructor(private readonly opts: SlotSwitcherOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Waits until `modelId` is ready in this slot, joining or queueing as needed. */
  ensureReady(modelId: string, cause: SwitchCause, trigger?: LoadRecord['trigger']): Promise<SlotView> {
    if (this.status === 'ready' && this.modelId === modelId && this.ops.idle) {
      return Promise.resolve(this.view());
    }
    return new Promise<SlotView>((resolve, reject) => {
      const waiter = { resolve, reject };
      const joinable = this.findJoinableLoad(modelId);
      if (joinable) joinable.waiters.push(waiter);
      else this.ops.enqueue({ kind: 'load', modelId, cause, ...(trigger ? { trigger } : {}), waiters: [waiter] });
      this.opts.onChange();
    });
  }

  /**
   * Stops the slot: queued switches are rejected, a load under way is abandoned. With `drain`, the
   * stop instead waits its turn in the FIFO and lets the model's in-flight requests finish first.
   */
  stop(cause: SwitchCause, options: StopOptions = {}): Promise<void> {
    const drain = options.drain ?? false;
    if (!drain) {
      this.stopRequested = true;
      for (const op of this.ops.queue.splice(0)) {
        if (op.kind === 'load') rejectAll(op.waiters, new EngineError('conflict', `switch to ${op.modelId} cancelled by stop`));
        else if (op.kind === 'sleep') op.waiters.forEach((w) => w.resolve(false));
        else op.waiters.forEach((w) => w.resolve());
      }
      this.abortLoad?.();
    }
    return new Promise<void>((resolve, reject) => this.ops.enqueue({ kind: 'stop', cause, drain, ...(options.forModel ? { forModel: options.forModel } : {}), waiters: [{ resolve, reject }] }));
  }

  /**
   * Puts the ready server to sleep after its in-flight requests finish (a warm model evicted by
   * another's load): resolves true when it sleeps, false when it was stopped instead (no sleeper, not
   * ready, or the sleep did not go to plan: the next load of it is cold).
   */
  sleep(cause: SwitchCause, options: { forModel?: string } = {}): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => this.ops.enqueue({ kind: 'sleep', cause, ...(options.forModel ? { forModel: options.forModel } : {}), waiters: [{ resolve, reject }] }));
  }

  /** The server the slot runs now (the engine's sleep policy asks whether it already holds a host copy). */
  currentInstance(): BackendInstance | undefined {
    return this.instance;
  }

  /** True while the slot's server sleeps. */
  isSleeping(): boolean {
    return this.status === 'sleeping';
  }

  /**
   * True when a request for `modelId` may go to the server right now: ready, and no switch is
   * running or queued (a queued switch makes new requests wait their turn, FIFO).
   */
  isServing(modelId: string): boolean {
    return this.status === 'ready' && this.modelId === modelId && this.ops.idle;
  }

  /**
   * True when `modelId` is loaded and not being drained: callers whose ensureReady just resolved
   * may send their request even though a switch is queued (the switch drains them first).
   */
  isReadyFor(modelId: string): boolean {
    return this.status === 'ready' && this.modelId === modelId && !this.draining;
  }

  /**
   * The router could not reach `modelId`'s server (refused, or reset before any response byte) while
   * the slot says ready. When the server is really gone — its port refuses or /health is not 200 —
   * the slot turns failed at once (a process that is left is stopped in the background) and true is
   * returned: the caller's next ensureReady relaunches the model. A server that answers /health is
   * left alone (false): the failure was the connection's, not the server's.
   */
  async confirmCrash(modelId: string, probe: () => Promise<HealthProbe>): Promise<boolean> {
    const instance = this.instance;
    if (this.status !== 'ready' || this.modelId !== modelId || !instance) return this.status === 'failed' && this.modelId === modelId;
    const health = await probe();
    // A server that answers, or is only slow to (busy), is left alone: a reload costs minutes.
    if (health === 'ready' || health === 'timeout') return false;
    // The probe took time: the exit watcher (or a stop) may have acted meanwhile.
    if (this.instance !== instance || this.status !== 'ready') return (this.status as SlotStatus) === 'failed';
    this.instance = undefined;
    this.readyAtMs = undefined;
    this.dying = this.opts.backend.stop(instance, this.opts.stopTimeoutMs).catch(() => undefined);
    this.failure = {
      cause: 'unresponsive',
      message: `${modelId}'s server stopped answering on port ${this.opts.port} (${HEALTH_WORDS[health]}) while it was serving`,
      hint: FAILURE_HINTS.unresponsive,
      phase: 'ready',
      atMs: this.now(),
    };
    this.setState('failed', { phase: 'ready' });
    this.opts.onUnloaded?.({ modelId, cause: 'crash', atMs: this.now() });
    return true;
  }

  /** A snapshot of the slot. */
  view(): SlotView {
    const typical = this.modelId ? typicalPhaseMs(this.opts.history.recordsOf(this.modelId)) : null;
    const loading = this.status === 'starting' || this.status === 'loading';
    return {
      id: this.opts.slotId,
      status: this.status,
      modelId: this.modelId,
      ...(this.progress ? { progress: this.progress } : {}),
      ...(this.loadStartedAtMs !== undefined ? { loadStartedAtMs: this.loadStartedAtMs } : {}),
      ...(this.readyAtMs !== undefined ? { readyAtMs: this.readyAtMs } : {}),
      ...(this.status === 'sleeping' && this.sleptAtMs !== undefined ? { sleptAtMs: this.sleptAtMs } : {}),
      ...(loading && this.progress && this.watch ? { etaMs: estimateEtaMs(typical, { ...this.progress, phaseElapsedMs: this.watch.phaseElapsedMs }) } : {}),
      ...(loading && this.watch && this.modelId ? this.stallView(this.modelId, this.watch) : {}),
      ...(this.failure ? { failure: this.failure } : {}),
      ...(this.instance?.pid !== undefined ? { pid: this.instance.pid } : {}),
      host: this.opts.host,
      port: this.opts.port,
      ...(this.ops.current?.kind === 'load' && !this.ops.current.settled
        ? { pending: { modelId: this.ops.current.modelId, waiters: this.ops.current.waiters.length, cause: this.ops.current.cause } }
        : {}),
      queue: this.queuedSwitches(),
      ...(this.draining ? { draining: true } : {}),
    };
  }

  /** While loading: when the load last moved, and the phase's limits (the UI counts "no progress for N s"). */
  private stallView(modelId: string, watch: LoadWatch): Pick<SlotView, 'stall'> {
    const limitMs = this.opts.stallLimitMs?.(modelId, watch.progress.phase) ?? null;
    if (limitMs === null) return {};
    return { stall: { lastProgressAtMs: watch.lastProgressAtMs, warnAfterMs: stallWarnAfterMs(limitMs), limitMs } };
  }

  /** The model a load under way or queued is for (for per-model status). */
  pendingModels(): Set<string> {
    const ids = new Set<string>();
    for (const op of this.ops.all()) if (op.kind === 'load') ids.add(op.modelId);
    return ids;
  }

  private queuedSwitches(): QueuedSwitch[] {
    return this.ops.queue.filter((op): op is Extract<Op, { kind: 'load' }> => op.kind === 'load').map((op) => ({ modelId: op.modelId, waiters: op.waiters.length, cause: op.cause }));
  }

  /** A load of this model that a new caller may join without jumping over a queued stop. */
  private findJoinableLoad(modelId: string): Extract<Op, { kind: 'load' }> | undefined {
    const lastStop = this.ops.queue.map((op) => op.kind).lastIndexOf('stop');
    const queued = this.ops.queue.slice(lastStop + 1).find((op) => op.kind === 'load' && op.modelId === modelId);
    if (queued?.kind === 'load') return queued;
    const current = this.ops.current;
    if (lastStop === -1 && current?.kind === 'load' && current.modelId === modelId && !current.settled) return current;
    return undefined;
  }

  private async executeStop(op: Extract<Op, { kind: 'stop' }>): Promise<void> {
    this.stopRequested = false;
    try {
      if (op.drain) await this.drainCurrent();
      await this.stopInstance({ cause: op.cause, forModel: op.forModel });
      this.modelId = null;
      this.failure = undefined;
      this.setState('stopped');
      op.waiters.forEach((w) => w.resolve());
    } catch (err) {
      rejectAll(op.waiters, err);
    }
  }

  private async executeLoad(op: Extract<Op, { kind: 'load' }>): Promise<void> {
    if (this.status === 'ready' && this.modelId === op.modelId) return settle(op, this.view());
    if (this.status === 'sleeping' && this.modelId === op.modelId && (await this.wake(op))) return settle(op, this.view());
    try {
      await this.drainCurrent();
      // The model being replaced leaves for this one: an eviction inside the slot.
      await this.stopInstance({ cause: 'evict', forModel: op.modelId });
      let failure = await this.load(op);
      // A load that hung, or whose server was killed from outside (a signal, no error of its own in the
      // log: the OOM killer, a stray kill), is tried once more; a second failure fails.
      if (failure && isWorthOneRetry(failure) && !op.settled && !this.stopRequested) {
        this.opts.onNote?.(`${failure.message}: trying once more`, op.modelId);
        failure = await this.load(op);
      }
      settle(op, failure ? loadFailedError(op.modelId, failure) : this.view());
    } catch (err) {
      settle(op, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async executeSleep(op: Extract<Op, { kind: 'sleep' }>): Promise<void> {
    const instance = this.instance;
    const modelId = this.modelId;
    const sleeper = this.opts.sleeper;
    try {
      if (this.status !== 'ready' || !instance || !modelId || !sleeper) {
        // Nothing awake to put to sleep (or no way to): an ordinary stop.
        if (this.status !== 'sleeping') await this.stopInstance({ cause: op.cause, ...(op.forModel ? { forModel: op.forModel } : {}) });
        op.waiters.forEach((w) => w.resolve(this.status === 'sleeping'));
        return;
      }
      await this.drainCurrent();
      const startedAtMs = this.now();
      this.setState('releasing', { phase: 'stopping', detail: 'releasing GPU memory' });
      let fallback: string | undefined;
      try {
        await sleeper.sleep(instance, modelId, this.opts.port);
      } catch (err) {
        fallback = `putting ${modelId} to sleep failed (${err instanceof Error ? err.message : String(err)}); stopped it instead`;
      }
      // A server that died meanwhile was already handled by the exit watcher.
      if (this.instance !== instance) fallback ??= `${modelId}'s server exited while being put to sleep`;
      const change = { action: 'sleep' as const, modelId, atMs: this.now(), durationMs: this.now() - startedAtMs, cause: op.cause, ...(op.forModel ? { forModel: op.forModel } : {}) };
      if (fallback === undefined) {
        this.sleptAtMs = this.now();
        this.readyAtMs = undefined;
        this.setState('sleeping');
        this.opts.onSleepChange?.({ ...change, ok: true });
        op.waiters.forEach((w) => w.resolve(true));
        return;
      }
      this.opts.onNote?.(fallback, modelId);
      this.opts.onSleepChange?.({ ...change, ok: false, fallback });
      if (this.instance === instance) {
        await this.stopInstance({ cause: op.cause, ...(op.forModel ? { forModel: op.forModel } : {}) });
      }
      op.waiters.forEach((w) => w.resolve(false));
    } catch (err) {
      rejectAll(op.waiters, err);
    }
  }

  /**
   * Wakes the sleeping server for `op`: true when it answers as before its sleep. Otherwise the server
   * is stopped (false) and the caller loads the model cold.
   */
  private async wake(op: Extract<Op, { kind: 'load' }>): Promise<boolean> {
    const instance = this.instance;
    const sleeper = this.opts.sleeper;
    if (!instance || !sleeper) return false;
    const startedAtMs = this.now();
    this.loadStartedAtMs = startedAtMs;
    this.failure = undefined;
    this.setState('waking');
    let fallback: string | undefined;
    try {
      await sleeper.wake(instance, op.modelId, this.opts.port);
    } catch (err) {
      fallback = `waking ${op.modelId} failed (${err instanceof Error ? err.message : String(err)}); loading it cold`;
    }
    if (this.instance !== instance) fallback ??= `${op.modelId}'s server exited while waking; loading it cold`;
    const change = {
      action: 'wake' as const,
      modelId: op.modelId,
      atMs: this.now(),
      durationMs: this.now() - startedAtMs,
      cause: op.cause,
      ...(op.trigger?.forModel && op.trigger.forModel !== op.modelId ? { forModel: op.trigger.forModel } : {}),
    };
    this.sleptAtMs = undefined;
    if (fallback === undefined) {
      this.readyAtMs = this.now();
      this.setState('ready', { phase: 'ready' });
      this.opts.onSleepChange?.({ ...change, ok: true });
      return true;
    }
    this.opts.onNote?.(fallback, op.modelId);
    this.opts.onSleepChange?.({ ...change, ok: false, fallback });
    if (this.instance === instance) {
      this.instance = undefined;
      this.setState('stopping', { phase: 'stopping' });
      await this.opts.backend.stop(instance, this.opts.stopTimeoutMs);
      this.setState('stopped');
      this.opts.onUnloaded?.({ modelId: op.modelId, cause: 'crash', atMs: this.now() });
    }
    return false;
  }

  /** Lets the requests of the model being replaced finish (bounded by the drain timeout). */
  private async drainCurrent(): Promise<void> {
    if (this.status !== 'ready' || !this.modelId || !this.opts.drain) return;
    // Callers of the load that just finished resume in microtasks and take their leases there;
    // let them all run before the drain starts counting.
    await new Promise((resolve) => setImmediate(resolve));
    this.draining = true;
    this.opts.onChange();
    try {
      await this.opts.drain(this.modelId);
    } finally {
      this.draining = false;
    }
  }

  private setState(status: SlotStatus, progress?: LoadProgress): void {
    this.status = status;
    this.progress = progress;
    this.opts.onChange();
  }

  private async stopInstance(why: { cause: SwitchCause; forModel?: string }): Promise<void> {
    const instance = this.instance;
    if (!instance) {
      if (this.status !== 'failed') this.setState('stopped');
      return;
    }
    const modelId = this.modelId;
    this.setState('stopping', { phase: 'stopping' });
    await this.opts.backend.stop(instance, this.opts.stopTimeoutMs);
    this.instance = undefined;
    this.readyAtMs = undefined;
    this.setState('stopped');
    if (modelId) this.opts.onUnloaded?.({ modelId, cause: why.cause, ...(why.forModel ? { forModel: why.forModel } : {}), atMs: this.now() });
  }

  /** Runs one load to its end; returns the failure, or undefined when ready. */
  private async load(op: Extract<Op, { kind: 'load' }>): Promise<Failure | undefined> {
    const { host, port } = this.opts;
    const modelId = op.modelId;
    const startedAtMs = this.now();
    this.modelId = modelId;
    this.failure = undefined;
    this.loadStartedAtMs = startedAtMs;
    const watch = new LoadWatch(
      this.now,
      (stream, text) => this.opts.onLine(stream, text, modelId),
      (event, progressChanged) => {
        this.opts.onEvent?.(event, modelId);
        if (progressChanged && this.watch === watch && (this.status === 'loading' || this.status === 'starting')) {
          this.progress = watch.progress;
          this.opts.onChange();
        }
      },
    );
    this.watch = watch;
    this.setState('starting', { phase: 'launching' });

    let outcome: ReadyOutcome;
    let notes: LoadNotes = {};
    try {
      // A crashed server's remains must be gone before anything else uses the port.
      await this.dying;
      this.dying = undefined;
      const adopted = await this.opts.takeOver?.(modelId, host, port);
      if (adopted) {
        this.instance = adopted;
        return await this.finishLoad(op, watch, startedAtMs, { kind: 'ready' }, notes, true);
      }
      await this.opts.ensurePortFree(host, port);
      notes = (await this.opts.beforeLaunch?.(modelId).catch(() => ({}))) ?? {};
      const launch = this.opts.launchFor(modelId, host, port);
      this.instance = await this.opts.backend.start(launch, (stream, chunk) => watch.push(stream, chunk));
      this.setState('loading', watch.progress);
      const instance = this.instance;
      const aborted = new Promise<void>((resolve) => (this.abortLoad = resolve));
      outcome = await waitForReady({
        host,
        port,
        instance,
        watch,
        aborted,
        timeoutMs: this.opts.readyTimeoutMs,
        stallLimitMs: (phase) => this.opts.stallLimitMs?.(modelId, phase) ?? null,
        probeIntervalMs: this.opts.probeIntervalMs ?? 250,
        now: this.now,
      });
    } catch (err) {
      outcome = { kind: 'failed', failure: launchFailure(err, this.now()) };
    } finally {
      this.abortLoad = undefined;
    }
    return this.finishLoad(op, watch, startedAtMs, outcome, notes);
  }

  private async finishLoad(op: Extract<Op, { kind: 'load' }>, watch: LoadWatch, startedAtMs: number, outcome: ReadyOutcome, notes: LoadNotes, adopted = false): Promise<Failure | undefined> {
    const phaseMs = watch.finishPhases();
    delete phaseMs.ready;
    const record: LoadRecord = {
      modelId: op.modelId,
      startedAtMs,
      endedAtMs: this.now(),
      cause: op.cause,
      phaseMs,
      slotId: this.opts.slotId,
      ...(op.trigger ? { trigger: op.trigger } : {}),
      outcome: outcome.kind === 'ready' ? 'ready' : outcome.kind === 'aborted' ? 'cancelled' : 'failed',
      ...(outcome.kind === 'failed' ? { failure: { cause: outcome.failure.cause, message: outcome.failure.message } } : {}),
      ...notes,
    };
    // An adoption took no load: its few milliseconds must not pull the ETA of the next real load down.
    if (!adopted) await this.opts.history.append(record).catch(() => undefined);
    this.opts.onLoadFinished(record);
    if (outcome.kind === 'ready') {
      this.readyAtMs = this.now();
      this.setState('ready', { phase: 'ready' });
      this.watchForExit(this.instance!, watch, op.modelId);
      return undefined;
    }
    if (this.instance) {
      const instance = this.instance;
      await this.opts.backend.stop(instance, this.opts.stopTimeoutMs);
      this.instance = undefined;
    }
    if (outcome.kind === 'aborted') {
      this.modelId = null;
      this.setState('stopped');
      return { cause: 'exited', message: `load of ${op.modelId} was cancelled`, hint: 'start it again', atMs: this.now() };
    }
    this.failure = outcome.failure;
    this.setState('failed', watch.progress);
    return outcome.failure;
  }

  /** A ready server that dies (crash mid-stream, killed from outside) turns the slot to failed. */
  private watchForExit(instance: BackendInstance, watch: LoadWatch, modelId: string): void {
    void instance.exited.then((exit: BackendExit) => {
      if (this.instance !== instance) return;
      if (this.status === 'sleeping') {
        // Nothing was served: the slot is simply empty now, and the next request loads the model cold.
        this.instance = undefined;
        this.sleptAtMs = undefined;
        this.opts.onNote?.(`${modelId}'s sleeping server exited (${exit.signal ?? `code ${exit.code}`}); the next request loads it cold`, modelId);
        this.setState('stopped');
        this.opts.onUnloaded?.({ modelId, cause: 'crash', atMs: this.now() });
        return;
      }
      if (this.status !== 'ready') return;
      watch.flush();
      this.instance = undefined;
      this.readyAtMs = undefined;
      this.failure = diagnoseFailure({
        failures: watch.failures,
        phase: 'ready',
        exitCode: exit.code,
        exitSignal: exit.signal,
        lastLines: watch.lastLines(),
        port: this.opts.port,
        now: this.now(),
      });
      this.modelId = modelId;
      this.setState('failed', { phase: 'ready' });
      this.opts.onUnloaded?.({ modelId, cause: 'crash', atMs: this.now() });
    });
  }
}

function isWorthOneRetry(failure: Failure): boolean {
  return failure.cause === 'stuck' || (failure.cause === 'exited' && Boolean(failure.exitSignal));
}

const HEALTH_WORDS: Record<Exclude<HealthProbe, 'ready' | 'timeout'>, string> = {
  refused: 'connection refused',
  starting: '/health 503',
  error: 'connection reset',
};

/** Resolves (or rejects) every waiter of a load; later callers can no longer join it. */
function settle(op: Extract<Op, { kind: 'load' }>, outcome: SlotView | Error): void {
  op.settled = true;
  for (const w of op.waiters) {
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }
}

function loadFailedError(modelId: string, failure: Failure): EngineError {
  return new EngineError('load_failed', `${modelId} failed to load: ${failure.message} — ${failure.hint}`, { modelId, failure });
}

function launchFailure(err: unknown, atMs: number): Failure {
  if (err instanceof EngineError && err.details?.failure) return err.details.failure as Failure;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') {
    return { cause: 'launch_error', message: `launch command not found (${e.path ?? e.message})`, hint: 'set sglang.command to the python of the venv that has SGLang, or fix the script path', atMs };
  }
  if (e.code === 'EACCES') {
    return { cause: 'launch_error', message: `launch command is not executable (${e.path ?? e.message})`, hint: 'chmod +x the script or fix sglang.command', atMs };
  }
  return { cause: 'launch_error', message: e.message ?? String(err), hint: 'check the model entry in the catalog', atMs };
}
