import type { ServerResponse } from 'node:http';
import type { OpenAiErrorBody } from './openai-error.js';
import { noteRequestError } from './request-observer.js';
import { writeChunk } from './write-chunk.js';

/** An error body in the Anthropic Messages API's shape, which its SDKs turn into typed errors. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * The Anthropic error type for an HTTP status, as the API documents them (docs.claude.com/en/api/errors):
 * 400 invalid_request_error (also "other 4XX"), 401 authentication_error, 402 billing_error, 403
 * permission_error, 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error,
 * 529 overloaded_error; the SDK's ErrorType adds timeout_error (504). Other 5xx (a failed load's 503,
 * an upstream's 502) are api_error.
 */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
  }
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

export function anthropicError(status: number, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

/**
 * Answers with an Anthropic-style error unless headers already went out (then the stream gets an
 * `error` event and ends). Takes the router's OpenAI-shaped body so the shared lease flow and the
 * route checks can answer in either API; the request log keeps its code as for OpenAI routes.
 */
export function sendAnthropicError(res: ServerResponse, status: number, body: OpenAiErrorBody, headers: Record<string, string> = {}): void {
  noteRequestError(res, String(body.error.code ?? body.error.type));
  const error = anthropicError(status, body.error.message);
  if (res.headersSent) {
    writeChunk(res, anthropicErrorEvent(error));
    res.end();
    return;
  }
  const text = JSON.stringify(error);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The SSE `error` event that ends a stream which already answered 200 (the SDK throws it as an APIError). */
export function anthropicErrorEvent(error: AnthropicErrorBody): string {
  return `event: error\ndata: ${JSON.stringify(error)}\n\n`;
}
