import type { RouterRequestView } from '../../../shared/engine-state.js';

interface Entry {
  id: string;
  modelId: string;
  state: 'waiting' | 'active';
  sinceMs: number;
  stream: boolean;
}

/**
 * The requests the router holds: waiting for their model, or active (in flight) on it.
 * In-flight counts per model let a switch drain the model it replaces.
 */
export class RequestRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Map<string, number>();
  private readonly idleWaiters = new Map<string, Set<() => void>>();
  /** When each model's last request ended (the idle clock starts there, never during a request). */
  private readonly lastFinishedAtMs = new Map<string, number>();
  private nextId = 1;

  constructor(
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers a waiting request; returns its id. */
  wait(modelId: string, stream: boolean): string {
    const id = `req-${this.nextId++}`;
    this.entries.set(id, { id, modelId, state: 'waiting', sinceMs: this.now(), stream });
    this.onChange();
    return id;
  }

  /** The request now runs on its model (counted in flight until `finish`). */
  activate(id: string, modelId: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state === 'active') return;
    entry.state = 'active';
    entry.modelId = modelId;
    entry.sinceMs = this.now();
    this.active.set(modelId, (this.active.get(modelId) ?? 0) + 1);
    this.onChange();
  }

  /** Removes the request (finished, failed or withdrawn). Idempotent. */
  finish(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.state === 'active') {
      this.lastFinishedAtMs.set(entry.modelId, this.now());
      const left = (this.active.get(entry.modelId) ?? 1) - 1;
      if (left > 0) this.active.set(entry.modelId, left);
      else {
        this.active.delete(entry.modelId);
        for (const wake of this.idleWaiters.get(entry.modelId) ?? []) wake();
      }
    }
    this.onChange();
  }

  inFlight(modelId: string): number {
    return this.active.get(modelId) ?? 0;
  }

  /** Requests for the model that wait for it (loading or queued behind a switch). */
  waiting(modelId: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'waiting' && e.modelId === modelId) n++;
    return n;
  }

  /** When the model's last request ended, or undefined when none has since it was (re)loaded. */
  lastFinished(modelId: string): number | undefined {
    return this.lastFinishedAtMs.get(modelId);
  }

  /** The model was unloaded: its next idle period counts from its next load. */
  forgetActivity(modelId: string): void {
    this.lastFinishedAtMs.delete(modelId);
  }

  /** Resolves when no request of `modelId` is in flight, or after `timeoutMs`. */
  waitIdle(modelId: string, timeoutMs: number): Promise<void> {
    if (this.inFlight(modelId) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idleWaiters.get(modelId) ?? new Set();
      this.idleWaiters.set(modelId, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  /** Waiting requests first (FIFO, numbered), then active ones. */
  views(): RouterRequestView[] {
    const all = [...this.entries.values()];
    const waiting = all.filter((e) => e.state === 'waiting').map((e, i) => ({ ...e, position: i + 1 }));
    return [...waiting, ...all.filter((e) => e.state === 'active')];
  }
}
