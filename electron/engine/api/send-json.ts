import type { ServerResponse } from 'node:http';
import type { ApiError } from '../../../shared/engine-state.js';
import { EngineError } from '../../../shared/engine-error.js';

const STATUS_BY_CODE: Record<ApiError['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  unsupported_media_type: 415,
  unknown_model: 404,
  not_found: 404,
  conflict: 409,
  // The request was valid and the model ran, but what it produced cannot be measured: not the
  // server's fault (500), not another operation in the way (409); the same request will do the same.
  too_few_tokens: 422,
  // The GPUs as they are now cannot hold the model; freeing them (or force) changes the answer.
  will_not_fit: 409,
  too_many_requests: 429,
  internal: 500,
  load_failed: 503,
  unavailable: 503,
};

/** Writes `body` as a JSON response (no-op when the client already went away). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes any thrown value as `{ error: ApiError }` with the status its code maps to. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const apiError = toApiError(err);
  sendJson(res, STATUS_BY_CODE[apiError.code], { error: apiError }, headers);
}

/** EngineErrors keep their code; anything else is `internal` with its message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof EngineError) return err.toApiError();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}
