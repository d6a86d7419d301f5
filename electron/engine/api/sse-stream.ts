import type { ServerResponse } from 'node:http';

/** How an event behaves when the client reads slower than events arrive. */
export type SseDelivery = 'droppable' | 'latest' | 'always';

/** One open Server-Sent Events response. */
export interface SseStream {
  /** Sends `event: <name>` with `data` as JSON (see SseDelivery for backpressure). */
  send(name: string, data: unknown, delivery: SseDelivery): void;
  /** Registers cleanup to run once when the client goes away or the stream is closed. */
  onClose(listener: () => void): void;
  close(): void;
}

/**
 * Opens an SSE response with a `: keepalive` comment every `keepaliveMs`.
 *
 * Backpressure: once `res.write` returns false and until 'drain', 'droppable' events (log lines)
 * are dropped and counted, 'latest' events (state snapshots) are coalesced so only the newest is
 * kept, and 'always' events (load records: rare and small) are written anyway. On 'drain' the kept
 * snapshot goes out, then a `: dropped N events` comment. Memory per slow client is thus bounded
 * by one snapshot plus the load records of the stall.
 */
export function openSseStream(res: ServerResponse, keepaliveMs: number): SseStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  let congested = false;
  let dropped = 0;
  let pendingLatest: { name: string; data: unknown } | null = null;
  let closed = false;
  const closeListeners: Array<() => void> = [];

  const write = (text: string): void => {
    if (closed) return;
    if (!res.write(text)) congested = true;
  };
  const flushAfterDrain = (): void => {
    congested = false;
    const latest = pendingLatest;
    pendingLatest = null;
    if (latest) write(frame(latest.name, latest.data));
    if (dropped > 0) write(`: dropped ${dropped} events\n\n`);
    dropped = 0;
  };
  const keepalive = setInterval(() => write(': keepalive\n\n'), keepaliveMs);
  keepalive.unref();

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    res.off('drain', flushAfterDrain);
    for (const listener of closeListeners.splice(0)) listener();
    if (!res.writableEnded) res.end();
  };
  res.on('drain', flushAfterDrain);
  // The response's 'close' covers both ends: the client hanging up and the server closing.
  res.on('close', close);

  return {
    send(name, data, delivery) {
      if (closed) return;
      if (!congested || delivery === 'always') return write(frame(name, data));
      if (delivery === 'latest') pendingLatest = { name, data };
      else dropped += 1;
    },
    onClose(listener) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
    close,
  };
}

/** One SSE frame; JSON never contains a raw newline, so `data` is always a single line. */
function frame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
