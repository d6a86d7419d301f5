import type { IncomingMessage } from 'node:http';
import { EngineError } from '../engine-error.js';

const DEFAULT_MAX_BYTES = 64 * 1024;

/**
 * Reads a JSON object body. An empty body reads as `{}` so POSTs without a body stay valid.
 * Throws EngineError('bad_request') on invalid JSON, a non-object, or more than `maxBytes`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BYTES): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new EngineError('bad_request', `request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EngineError('bad_request', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError('bad_request', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
