import type { IncomingMessage } from 'node:http';
import { openAiError, RouterError } from './openai-error.js';

/**
 * Reads a request body up to `maxBytes`. Over the limit: 413 without reading the rest
 * (the connection is closed so a huge upload stops).
 */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): RouterError {
  return new RouterError(413, openAiError(`request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`, 'invalid_request_error', 'request_too_large'));
}
