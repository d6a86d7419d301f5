import type { ApiEvent } from '../../shared/switchboard-api.js';

/**
 * How an event behaves while a renderer has not yet taken the previous batch (the IPC twin of
 * the SSE stream's policy): 'latest' keeps only the newest of its type (a state snapshot, a GPU
 * tick), 'droppable' is capped and drops its oldest (log lines, throughput samples), 'always' is
 * always kept (load records, bench results, catalog changes: rare and small).
 */
export type EventDelivery = 'latest' | 'droppable' | 'always';

const DELIVERY: Record<ApiEvent['type'], EventDelivery> = {
  state: 'latest',
  'gpu.sample': 'latest',
  log: 'droppable',
  throughput: 'droppable',
  load: 'always',
  bench: 'always',
  catalog: 'always',
  swap: 'always',
};

export function eventDelivery(event: ApiEvent): EventDelivery {
  return DELIVERY[event.type];
}

/**
 * One subscriber's events not sent yet, in the order they happened. A newer 'latest' event
 * replaces the older one of its type and takes its place at the end (so it still follows every
 * event that happened before it). Memory is bounded by `maxDroppable` plus one event per
 * 'latest' type plus the 'always' events of the stall.
 */
export class PendingEvents {
  private events: ApiEvent[] = [];
  private droppableCount = 0;
  /** Droppable events thrown away since the counter was last read (see takeDropped). */
  private dropped = 0;

  constructor(private readonly maxDroppable = 1000) {}

  get size(): number {
    return this.events.length;
  }

  push(event: ApiEvent): void {
    const delivery = eventDelivery(event);
    if (delivery === 'latest') {
      const previous = this.events.findIndex((e) => e.type === event.type);
      if (previous >= 0) this.events.splice(previous, 1);
    }
    this.events.push(event);
    if (delivery === 'droppable' && ++this.droppableCount > this.maxDroppable) this.dropOldest();
  }

  /** Everything pending, oldest first; the queue is empty afterwards. */
  take(): ApiEvent[] {
    const taken = this.events;
    this.events = [];
    this.droppableCount = 0;
    return taken;
  }

  /** How many droppable events were thrown away since the last call. */
  takeDropped(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }

  /** Drops down to 3/4 of the cap in one pass, so a flood costs O(1) per event, not a scan each. */
  private dropOldest(): void {
    let excess = this.droppableCount - Math.floor((this.maxDroppable * 3) / 4);
    this.dropped += excess;
    this.droppableCount -= excess;
    this.events = this.events.filter((e) => eventDelivery(e) !== 'droppable' || excess-- <= 0);
  }
}
