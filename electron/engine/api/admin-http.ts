import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../engine-error.js';
import { BENCH_ROUTES } from './bench-routes.js';
import { handleEvents } from './events-route.js';
import { GPU_ROUTES } from './gpu-routes.js';
import { isAuthorized } from './is-authorized.js';
import { readJsonBody } from './read-json-body.js';
import type { Route, RouteContext } from './route.js';
import { sendError, sendJson } from './send-json.js';
import { handleSwitch } from './switch-route.js';

/** A request handler that returns true when it took the request, so several can share one server. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface AdminRoutesOptions {
  /** When non-empty, /health and every /api route require `Authorization: Bearer <key>`. */
  apiKeys: readonly string[];
  /** Interval of the SSE `: keepalive` comment; 15 s by default. */
  sseKeepaliveMs?: number;
}

const DEFAULT_TAIL = 200;
const MAX_TAIL = 10_000;

const ROUTES: Route[] = [
  { method: 'GET', path: /^\/health$/, handle: ({ engine, res }) => sendJson(res, 200, healthOf(engine)) },
  { method: 'GET', path: /^\/api\/state$/, handle: ({ engine, res }) => sendJson(res, 200, engine.state()) },
  {
    method: 'POST',
    path: /^\/api\/models\/([^/]+)\/switch$/,
    handle: ({ engine, req, res, params, query }) => handleSwitch(engine, req, res, params[0], query),
  },
  { method: 'POST', path: /^\/api\/stop$/, handle: handleStop },
  {
    method: 'POST',
    path: /^\/api\/models\/([^/]+)\/unload$/,
    handle: async ({ engine, res, params }) => {
      await engine.unload(params[0]!, 'manual');
      sendJson(res, 200, { unloaded: true });
    },
  },
  { method: 'GET', path: /^\/api\/swaps$/, handle: ({ engine, res, query }) => sendJson(res, 200, { swaps: engine.swapHistory({ limit: parseTail(query.get('limit')) }) }) },
  { method: 'GET', path: /^\/api\/events$/, handle: ({ engine, res, keepaliveMs }) => handleEvents(engine, res, keepaliveMs) },
  { method: 'GET', path: /^\/api\/logs$/, handle: handleLogs },
  ...GPU_ROUTES,
  ...BENCH_ROUTES,
];

/** The admin API (`/health`, `/api/*`) over `engine`; leaves every other path to the next handler. */
export function createAdminRoutes(engine: Engine, opts: AdminRoutesOptions): RequestHandler {
  const keepaliveMs = opts.sseKeepaliveMs ?? 15_000;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://switchboard.invalid');
    if (url.pathname !== '/health' && url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    if (!isAuthorized(req, opts.apiKeys)) {
      sendError(res, new EngineError('unauthorized', 'missing or wrong API key (send "Authorization: Bearer <key>")'), {
        'www-authenticate': 'Bearer',
      });
      return true;
    }
    dispatch({ engine, req, res, params: [], query: url.searchParams, keepaliveMs }, url.pathname);
    return true;
  };
}

function dispatch(ctx: RouteContext, pathname: string): void {
  const matches = ROUTES.map((route) => ({ route, match: route.path.exec(pathname) })).filter((m) => m.match !== null);
  if (matches.length === 0) return sendError(ctx.res, new EngineError('not_found', `no route ${ctx.req.method} ${pathname}`));
  const chosen = matches.find((m) => m.route.method === ctx.req.method);
  if (!chosen) {
    const allowed = matches.map((m) => m.route.method).join(', ');
    return sendJson(ctx.res, 405, { error: { code: 'bad_request', message: `${ctx.req.method} is not allowed on ${pathname}; use ${allowed}` } }, { allow: allowed });
  }
  let params: string[];
  try {
    params = chosen.match!.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    return sendError(ctx.res, new EngineError('bad_request', `malformed path ${pathname}`));
  }
  Promise.resolve()
    .then(() => chosen.route.handle({ ...ctx, params }))
    .catch((err: unknown) => sendError(ctx.res, err));
}

async function handleStop({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonBody(req);
  const cause = body.cause ?? 'manual';
  if (cause !== 'manual' && cause !== 'cli') throw new EngineError('bad_request', '"cause" must be one of: manual, cli');
  await engine.stop(cause);
  sendJson(res, 200, { stopped: true });
}

function handleLogs({ engine, res, query }: RouteContext): void {
  const tail = parseTail(query.get('tail'));
  // Not engine.logs(0): a slice(-0) there would return every line.
  sendJson(res, 200, { lines: tail === 0 ? [] : engine.logs(tail) });
}

function healthOf(engine: Engine): unknown {
  const state = engine.state();
  return {
    status: 'ok',
    uptimeS: Math.max(0, Math.round((Date.now() - state.startedAtMs) / 1000)),
    activeModel: state.activeModel,
    slots: state.slots.map((s) => ({ id: s.id, status: s.status, modelId: s.modelId, phase: s.progress?.phase ?? null })),
  };
}

function parseTail(raw: string | null): number {
  if (raw === null) return DEFAULT_TAIL;
  const tail = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(tail <= MAX_TAIL)) throw new EngineError('bad_request', `"tail" must be a whole number from 0 to ${MAX_TAIL}, got "${raw}"`);
  return tail;
}
