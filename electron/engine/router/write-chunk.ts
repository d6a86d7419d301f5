import type { ServerResponse } from 'node:http';

/**
 * Writes unless the response is already gone; returns false when the socket buffer is full
 * (the body pipe then pauses the upstream until 'drain').
 */
export function writeChunk(res: ServerResponse, data: string | Buffer): boolean {
  if (res.destroyed || res.writableEnded) return false;
  return res.write(data);
}
