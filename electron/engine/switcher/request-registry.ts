import type { RouterRequestView } from '../../../shared/engine-state.js';

/** A model's catalog limit: requests at once (waiting for the model or being served) and how many more may queue. */
export interface ConcurrencyLimit {
  maxConcurrent: number;
  maxQueued: number;
}

interface Entry {
  id: string;
  modelId: string;
  state: RouterRequestView['state'];
  sinceMs: number;
  stream: boolean;
  /** While queued: lets the request go on once it holds a place. */
  admitted?: () => void;
  /** Resolves when the request holds a place (at once unless it was queued). */
  place: Promise<void>;
}

/** Admitted by `admit`: a place is held now (`queued` false) or when `place` resolves. */
export interface Admission {
  id: string;
  queued: boolean;
}

const HELD = Promise.resolve();

/**
 * The requests the router holds: queued for a free place under their model's maxConcurrent,
 * waiting for their model, or active (in flight) on it. A request holds a place from when it is
 * admitted until it finishes, the wait for a load included, so a model never has more than its
 * maxConcurrent requests between the router and the server. In-flight counts per model let a
 * switch drain the model it replaces.
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
    /** The model's limit, read live (the catalog may change); undefined = no limit. */
    private readonly limitOf: (modelId: string) => ConcurrencyLimit | undefined = () => undefined,
  ) {}

  /** Registers a waiting request outside any limit (the engine's own callers); returns its id. */
  wait(modelId: string, stream: boolean): string {
    return this.add(modelId, stream, 'waiting').id;
  }

  /**
   * Takes a router request under the model's limit: it holds a place at once when fewer than
   * maxConcurrent do, else it queues (FIFO) when fewer than maxQueued already queue; otherwise
   * nothing is registered and null comes back (the caller answers 429).
   */
  admit(modelId: string, stream: boolean): Admission | null {
    const limit = this.limitOf(modelId);
    if (!limit || this.holding(modelId) < limit.maxConcurrent) return { id: this.add(modelId, stream, 'waiting').id, queued: false };
    if (this.queued(modelId) >= limit.maxQueued) return null;
    return { id: this.add(modelId, stream, 'queued').id, queued: true };
  }

  /** Resolves when the request holds a place (at once unless queued); rejects never (a withdrawn request is finished instead). */
  placeOf(id: string): Promise<void> {
    return this.entries.get(id)?.place ?? HELD;
  }

  /** The request now runs on its model (counted in flight until `finish`). A queued request must hold a place first. */
  activate(id: string, modelId: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state === 'active') return;
    if (entry.state === 'queued') throw new Error(`request ${id} is still queued for a free place`);
    entry.state = 'active';
    entry.modelId = modelId;
    entry.sinceMs = this.now();
    this.active.set(modelId, (this.active.get(modelId) ?? 0) + 1);
    this.onChange();
  }

  /** Removes the request (finished, failed or withdrawn); its place goes to the next queued one. Idempotent. */
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
    if (entry.state !== 'queued') this.admitQueued(entry.modelId);
    this.onChange();
  }

  /** The catalog changed: a raised or removed limit lets queued requests go on now. */
  limitsChanged(): void {
    const models = new Set([...this.entries.values()].filter((e) => e.state === 'queued').map((e) => e.modelId));
    for (const modelId of models) this.admitQueued(modelId);
    if (models.size > 0) this.onChange();
  }

  inFlight(modelId: string): number {
    return this.active.get(modelId) ?? 0;
  }

  /** Requests for the model that wait for it (loading or queued behind a switch, or queued for a free place). */
  waiting(modelId: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state !== 'active' && e.modelId === modelId) n++;
    return n;
  }

  /** Requests for the model queued for a free place under its maxConcurrent. */
  queued(modelId: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'queued' && e.modelId === modelId) n++;
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

  /** Waiting requests first (FIFO, numbered), then queued ones (numbered in their model's queue), then active ones. */
  views(): RouterRequestView[] {
    const all = [...this.entries.values()];
    const view = ({ id, modelId, state, sinceMs, stream }: Entry, position?: number): RouterRequestView => ({ id, modelId, state, sinceMs, stream, ...(position === undefined ? {} : { position }) });
    const waiting = all.filter((e) => e.state === 'waiting').map((e, i) => view(e, i + 1));
    const places = new Map<string, number>();
    const queued = all
      .filter((e) => e.state === 'queued')
      .map((e) => {
        const place = (places.get(e.modelId) ?? 0) + 1;
        places.set(e.modelId, place);
        return view(e, place);
      });
    return [...waiting, ...queued, ...all.filter((e) => e.state === 'active').map((e) => view(e))];
  }

  private add(modelId: string, stream: boolean, state: 'waiting' | 'queued'): Entry {
    const id = `req-${this.nextId++}`;
    const entry: Entry = { id, modelId, state, sinceMs: this.now(), stream, place: HELD };
    if (state === 'queued') {
      entry.place = new Promise<void>((resolve) => {
        entry.admitted = resolve;
      });
    }
    this.entries.set(id, entry);
    this.onChange();
    return entry;
  }

  /** Requests holding a place on the model: waiting for it or being served. */
  private holding(modelId: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state !== 'queued' && e.modelId === modelId) n++;
    return n;
  }

  /** Gives free places to the model's queued requests, oldest first. */
  private admitQueued(modelId: string): void {
    const limit = this.limitOf(modelId);
    for (const entry of this.entries.values()) {
      if (entry.state !== 'queued' || entry.modelId !== modelId) continue;
      if (limit && this.holding(modelId) >= limit.maxConcurrent) return;
      entry.state = 'waiting';
      entry.admitted?.();
      entry.admitted = undefined;
    }
  }
}
