import type { ApiEvent } from '../../shared/switchboard-api.js';
import type { IpcEventBatch, IpcSubscribeMessage } from '../preload/ipc-transport.js';
import { PendingEvents } from './pending-events.js';

/** Where one renderer's batches go (a webContents in the app; an array in tests). */
export interface EventSink {
  send(batch: IpcEventBatch): void;
  isDestroyed(): boolean;
}

export interface IpcEventFanoutOptions {
  /** Runs the flush once per tick (default setImmediate): the events of one tick make one batch. */
  schedule?: (flush: () => void) => void;
  /** Droppable events (log lines) kept per renderer while it has not acked (default 1000). */
  maxPendingDroppable?: number;
  /** A batch not acked after this long counts as taken (a renderer reloaded mid-batch; default 10 s). */
  ackTimeoutMs?: number;
  now?: () => number;
  /** Told how many droppable events a slow renderer missed. */
  onDropped?: (sinkId: number, count: number) => void;
}

interface Subscriber {
  sink: EventSink;
  pending: PendingEvents;
  seq: number;
  /** The seq sent and not acked yet, and when it went out. */
  inFlight: { seq: number; sentAtMs: number } | null;
}

/**
 * Engine events to every subscribed renderer, batched per tick. A renderer gets its next batch
 * only after it acked the previous one, so a slow or busy page never piles up IPC messages: in
 * the meantime its events wait in PendingEvents (state coalesced, log lines capped).
 */
export class IpcEventFanout {
  private readonly subscribers = new Map<number, Subscriber>();
  private readonly schedule: (flush: () => void) => void;
  private readonly now: () => number;
  private flushScheduled = false;

  constructor(private readonly options: IpcEventFanoutOptions = {}) {
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.now = options.now ?? Date.now;
  }

  /** Starts (or restarts, after a page reload) delivery to `id`. */
  subscribe(id: number, sink: EventSink): void {
    this.subscribers.set(id, { sink, pending: new PendingEvents(this.options.maxPendingDroppable), seq: 0, inFlight: null });
  }

  unsubscribe(id: number): void {
    this.subscribers.delete(id);
  }

  has(id: number): boolean {
    return this.subscribers.has(id);
  }

  /** The renderer `id` has run its listeners for batch `seq`. */
  ack(id: number, seq: number): void {
    const sub = this.subscribers.get(id);
    if (!sub || sub.inFlight?.seq !== seq) return;
    sub.inFlight = null;
    if (sub.pending.size > 0) this.requestFlush();
  }

  publish(event: ApiEvent): void {
    if (this.subscribers.size === 0) return;
    for (const sub of this.subscribers.values()) sub.pending.push(event);
    this.requestFlush();
  }

  private requestFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.schedule(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const nowMs = this.now();
    const ackTimeoutMs = this.options.ackTimeoutMs ?? 10_000;
    for (const [id, sub] of this.subscribers) {
      if (sub.sink.isDestroyed()) {
        this.subscribers.delete(id);
        continue;
      }
      if (sub.pending.size === 0) continue;
      if (sub.inFlight && nowMs - sub.inFlight.sentAtMs < ackTimeoutMs) continue;
      const dropped = sub.pending.takeDropped();
      if (dropped > 0) this.options.onDropped?.(id, dropped);
      sub.seq += 1;
      sub.inFlight = { seq: sub.seq, sentAtMs: nowMs };
      sub.sink.send({ seq: sub.seq, events: sub.pending.take() });
    }
  }
}

/** A renderer's message on IPC_SUBSCRIBE_CHANNEL, or null for anything malformed (ignored). */
export function parseSubscribeMessage(raw: unknown): IpcSubscribeMessage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { op, seq } = raw as { op?: unknown; seq?: unknown };
  if (op === 'subscribe' || op === 'unsubscribe') return { op };
  if (op === 'ack' && Number.isSafeInteger(seq)) return { op, seq: seq as number };
  return null;
}
