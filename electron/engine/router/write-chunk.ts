import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Writes without waiting; the caller that streams a body uses `writeAndDrain` for backpressure. */
export function writeChunk(res: ServerResponse, data: string | Buffer): boolean {
  if (res.destroyed || res.writableEnded) return false;
  return res.write(data);
}

/** Writes and, when the socket's buffer is full, waits for it to drain (or for the client to go). */
export async function writeAndDrain(res: ServerResponse, data: Buffer | string): Promise<void> {
  if (writeChunk(res, data)) return;
  if (res.destroyed || res.writableEnded) return;
  const ac = new AbortController();
  await Promise.race([once(res, 'drain', { signal: ac.signal }), once(res, 'close', { signal: ac.signal })]).catch(() => undefined);
  ac.abort();
}
