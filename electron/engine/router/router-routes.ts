import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine-api.js';
import type { RequestHandler } from '../api/admin-http.js';
import type { EngineAccess } from '../api/access/engine-access.js';
import { handleAnthropicCountTokens, handleAnthropicMessages } from './anthropic-messages-route.js';
import { sendAnthropicError } from './anthropic-error.js';
import { handleCompletion, type CompletionRouteOptions } from './completion-route.js';
import { listModels, modelCard } from './models-list.js';
import { openAiError, sendOpenAiError } from './openai-error.js';
import { observeRequest, type RouterObserver } from './request-observer.js';

/** Bodies over this are refused with 413 (a long chat with images stays well below). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface RouterRoutesOptions {
  /** Inference keys (router.apiKeys, read live), browser origins and CORS (router.corsOrigins). */
  access: EngineAccess;
  maxBodyBytes?: number;
  /** Told about every router request when its response closes (request-observer.ts): metrics, request log. */
  observer?: RouterObserver;
}

/** A CORS preflight of a listed origin is answered with these; the browser then sends the real request. */
const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-max-age': '600',
};
/** Allowed when the preflight names no headers (or names them unreadably). */
const CORS_DEFAULT_ALLOWED_HEADERS = 'authorization, content-type, x-switchboard-loading, x-api-key, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access';
/** A comma-separated list of header names (RFC 9110 tokens), as Access-Control-Request-Headers carries. */
const HEADER_NAME_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * The headers a listed origin's page may send: the ones its preflight asks for. The official SDKs
 * send their own (OpenAI's and Anthropic's `x-stainless-*`, which change between versions); a header
 * opens nothing by itself — the API key is checked as for any request.
 */
function allowedRequestHeaders(req: IncomingMessage): string {
  const asked = req.headers['access-control-request-headers']?.trim();
  return asked && HEADER_NAME_LIST.test(asked) ? asked : CORS_DEFAULT_ALLOWED_HEADERS;
}

/**
 * The OpenAI-compatible routes Open WebUI talks to: `/v1/models` (and `/models`),
 * `/v1/chat/completions`, `/v1/completions`; and Anthropic's `/v1/messages` and
 * `/v1/messages/count_tokens`, which answer every error in Anthropic's shape. Leaves every other path to the next handler. Open
 * WebUI calls them from its server (no Origin); a browser page of another origin is refused (403)
 * unless router.corsOrigins lists it, which also turns on CORS headers for it.
 */
export function createRouterRoutes(engine: Engine, opts: RouterRoutesOptions): RequestHandler {
  // Read per request: the catalog editor may change these while the engine runs.
  const completionOptions = (): CompletionRouteOptions => {
    const catalog = engine.catalog();
    return {
      maxBodyBytes: opts.maxBodyBytes ?? MAX_BODY_BYTES,
      defaultLoadingStyle: catalog.router.loadingMessages,
      readyTimeoutMs: catalog.backend.readyTimeoutS * 1000,
    };
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = matchRoute(path);
    if (!route) return false;
    if (opts.observer) observeRequest(res, route.name, opts.observer);
    const sendError = route.api === 'anthropic' ? sendAnthropicError : sendOpenAiError;
    const refusal = opts.access.check(req, 'inference');
    if (refusal) {
      sendError(res, refusal.status, openAiError(refusal.message, 'invalid_request_error', refusal.code));
      return true;
    }
    const cors = opts.access.corsHeaders(req);
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      // Only origins in router.corsOrigins got CORS headers above; the browser refuses the rest.
      const allowed = Object.keys(cors).length > 0;
      res.writeHead(204, allowed ? { ...CORS_PREFLIGHT_HEADERS, 'access-control-allow-headers': allowedRequestHeaders(req), vary: 'Origin, Access-Control-Request-Headers' } : {});
      res.end();
      return true;
    }
    if (!opts.access.isInferenceClient(req)) {
      const how = route.api === 'anthropic' ? 'send "x-api-key: <key>" or "Authorization: Bearer <key>"' : 'send "Authorization: Bearer <key>"';
      sendError(res, 401, openAiError(`missing or wrong API key (${how})`, 'invalid_request_error', 'invalid_api_key'), { 'www-authenticate': 'Bearer' });
      return true;
    }
    if (req.method !== route.method) {
      sendError(res, 405, openAiError(`${req.method} is not allowed on ${path}; use ${route.method}`, 'invalid_request_error', 'method_not_allowed'), { allow: route.method });
      return true;
    }
    Promise.resolve(route.handle(engine, req, res, completionOptions())).catch((err: unknown) => {
      sendError(res, 500, openAiError(err instanceof Error ? err.message : String(err), 'internal_error'));
    });
    return true;
  };
}

interface Route {
  /** The route as a template, for the observer (`/v1/models/{model}`). */
  name: string;
  method: 'GET' | 'POST';
  /** Whose error shape its answers use (default OpenAI). */
  api?: 'anthropic';
  handle(engine: Engine, req: IncomingMessage, res: ServerResponse, opts: CompletionRouteOptions): void | Promise<void>;
}

function matchRoute(path: string): Route | null {
  switch (path) {
    case '/v1/models':
    case '/models':
      return { name: '/v1/models', method: 'GET', handle: (engine, _req, res) => sendJson(res, 200, listModels(engine)) };
    case '/v1/chat/completions':
    case '/chat/completions':
      return { name: '/v1/chat/completions', method: 'POST', handle: (engine, req, res, opts) => handleCompletion(engine, req, res, 'chat', opts) };
    case '/v1/completions':
    case '/completions':
      return { name: '/v1/completions', method: 'POST', handle: (engine, req, res, opts) => handleCompletion(engine, req, res, 'completions', opts) };
    // Anthropic clients take a base URL without /v1 and add it themselves: no bare `/messages`.
    case '/v1/messages':
      return { name: '/v1/messages', method: 'POST', api: 'anthropic', handle: handleAnthropicMessages };
    case '/v1/messages/count_tokens':
      return { name: '/v1/messages/count_tokens', method: 'POST', api: 'anthropic', handle: handleAnthropicCountTokens };
  }
  const card = /^\/(?:v1\/)?models\/(.+)$/.exec(path);
  if (card) return { name: '/v1/models/{model}', method: 'GET', handle: (engine, _req, res) => sendModelCard(engine, res, decodeURIComponent(card[1]!)) };
  return null;
}

function sendModelCard(engine: Engine, res: ServerResponse, name: string): void {
  const card = modelCard(engine, name);
  if (card) return sendJson(res, 200, card);
  sendOpenAiError(res, 404, openAiError(`The model '${name}' does not exist`, 'invalid_request_error', 'model_not_found', 'model'));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
