import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine-api.js';
import type { RequestHandler } from '../api/admin-http.js';
import { isAuthorized } from '../api/is-authorized.js';
import { handleCompletion, type CompletionRouteOptions } from './completion-route.js';
import { listModels, modelCard } from './models-list.js';
import { openAiError, sendOpenAiError } from './openai-error.js';

/** Bodies over this are refused with 413 (a long chat with images stays well below). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface RouterRoutesOptions {
  apiKeys: readonly string[];
  maxBodyBytes?: number;
}

/**
 * The OpenAI-compatible routes Open WebUI talks to: `/v1/models` (and `/models`),
 * `/v1/chat/completions`, `/v1/completions`. Leaves every other path to the next handler.
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
    if (!isAuthorized(req, opts.apiKeys)) {
      sendOpenAiError(res, 401, openAiError('missing or wrong API key (send "Authorization: Bearer <key>")', 'invalid_request_error', 'invalid_api_key'), { 'www-authenticate': 'Bearer' });
      return true;
    }
    if (req.method !== route.method) {
      sendOpenAiError(res, 405, openAiError(`${req.method} is not allowed on ${path}; use ${route.method}`, 'invalid_request_error', 'method_not_allowed'), { allow: route.method });
      return true;
    }
    Promise.resolve(route.handle(engine, req, res, completionOptions())).catch((err: unknown) => {
      sendOpenAiError(res, 500, openAiError(err instanceof Error ? err.message : String(err), 'internal_error'));
    });
    return true;
  };
}

interface Route {
  method: 'GET' | 'POST';
  handle(engine: Engine, req: IncomingMessage, res: ServerResponse, opts: CompletionRouteOptions): void | Promise<void>;
}

function matchRoute(path: string): Route | null {
  switch (path) {
    case '/v1/models':
    case '/models':
      return { method: 'GET', handle: (engine, _req, res) => sendJson(res, 200, listModels(engine)) };
    case '/v1/chat/completions':
    case '/chat/completions':
      return { method: 'POST', handle: (engine, req, res, opts) => handleCompletion(engine, req, res, 'chat', opts) };
    case '/v1/completions':
    case '/completions':
      return { method: 'POST', handle: (engine, req, res, opts) => handleCompletion(engine, req, res, 'completions', opts) };
  }
  const card = /^\/(?:v1\/)?models\/(.+)$/.exec(path);
  if (card) return { method: 'GET', handle: (engine, _req, res) => sendModelCard(engine, res, decodeURIComponent(card[1]!)) };
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
