import type { IncomingMessage } from 'node:http';
import { EngineError } from '../../../shared/engine-error.js';
import { lingerClose } from '../router/linger-close.js';
import { RouterError } from '../router/openai-error.js';
import { readRawBody } from '../router/read-raw-body.js';

const DEFAULT_MAX_BYTES = 64 * 1024;

/**
 * Reads a JSON object body. An empty body reads as `{}` so POSTs without a body stay valid.
 * Throws EngineError('bad_request') on invalid JSON, a non-object, or more than `maxBytes`; over
 * the limit the rest of the upload is discarded (lingerClose) so the client can read the answer.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BYTES): Promise<Record<string, unknown>> {
  const text = (await readLimited(req, maxBytes)).toString('utf8').trim();
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

// readRawBody reads with events, not `for await`: leaving that loop early destroys the request, after
// which Node stops reading the socket and an upload still in flight hangs.
async function readLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (req.readableEnded) return Buffer.alloc(0);
  try {
    return await readRawBody(req, maxBytes);
  } catch (err) {
    if (!(err instanceof RouterError)) throw new EngineError('bad_request', (err as Error).message);
    lingerClose(req);
    throw new EngineError('bad_request', `request body is larger than ${maxBytes} bytes`);
  }
}
