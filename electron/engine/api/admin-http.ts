import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { parseRequestFilter } from './request-filter-query.js';
import { BENCH_ROUTES } from './bench-routes.js';
import { handleEvents } from './events-route.js';
import { GPU_ROUTES } from './gpu-routes.js';
import type { EngineAccess } from './access/engine-access.js';
import { readJsonBody } from './read-json-body.js';
import { pathParam, type Route, type RouteContext } from './route.js';
import { sendError, sendJson } from './send-json.js';
import { handleSwitch } from './switch-route.js';

/** A request handler that returns true when it took the request, so several can share one server. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface AdminRoutesOptions {
  /** Host, origin and key checks; /api/* needs an admin key, /health an inference key when router.apiKeys is set. */
  access: EngineAccess;
  /** Where the admin token is, for the 401 message (e.g. ~/.local/state/sglang-switchboard/admin-token). */
  adminTokenPath?: string;
  /** Interval of the SSE `: keepalive` comment; 15 s by default. */
  sseKeepaliveMs?: number;
}

/** `GET /api/session`: the UI's way to its admin token when its browser runs as the engine's user. */
export const SESSION_PATH = '/api/session';

const DEFAULT_TAIL = 200;
const MAX_TAIL = 10_000;

const ROUTES: Route[] = [
  { method: 'GET', path: /^\/health$/, handle: ({ engine, res }) => sendJson(res, 200, healthOf(engine)) },
  { method: 'GET', path: /^\/api\/state$/, handle: ({ engine, res }) => sendJson(res, 200, engine.state()) },
  {
    method: 'POST',
    path: /^\/api\/models\/([^/]+)\/switch$/,
    handle: (ctx) => handleSwitch(ctx.engine, ctx.req, ctx.res, pathParam(ctx), ctx.query),
  },
  { method: 'POST', path: /^\/api\/stop$/, handle: handleStop },
  {
    method: 'POST',
    path: /^\/api\/models\/([^/]+)\/unload$/,
    handle: async (ctx) => {
      await ctx.engine.unload(pathParam(ctx), 'manual');
      sendJson(ctx.res, 200, { unloaded: true });
    },
  },
  { method: 'GET', path: /^\/api\/swaps$/, handle: ({ engine, res, query }) => sendJson(res, 200, { swaps: engine.swapHistory({ limit: parseTail(query.get('limit')) }) }) },
  { method: 'GET', path: /^\/api\/events$/, handle: ({ engine, res, keepaliveMs }) => handleEvents(engine, res, keepaliveMs) },
  { method: 'GET', path: /^\/api\/logs$/, handle: handleLogs },
  { method: 'GET', path: /^\/api\/requests$/, handle: ({ engine, res, query }) => sendJson(res, 200, { requests: engine.requestLog(parseRequestFilter(query)) }) },
  ...GPU_ROUTES,
  ...BENCH_ROUTES,
];

/**
 * The admin API (`/health`, `/api/*`) over `engine`; leaves every other path to the next handler.
 * Checked before any route runs: Host and Origin (403), JSON bodies on writes (415), then the key
 * (401): an admin key for /api/*, an inference key for /health when router.apiKeys is set.
 */
export function createAdminRoutes(engine: Engine, opts: AdminRoutesOptions): RequestHandler {
  const keepaliveMs = opts.sseKeepaliveMs ?? 15_000;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://switchboard.invalid');
    if (url.pathname !== '/health' && url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    const refusal = opts.access.check(req, 'admin');
    if (refusal) {
      sendError(res, new EngineError(refusal.code, refusal.message));
      return true;
    }
    if (url.pathname === SESSION_PATH) {
      handleSession(opts, req, res).catch((err: unknown) => sendError(res, err));
      return true;
    }
    const isHealth = url.pathname === '/health';
    if (!(isHealth ? opts.access.isInferenceClient(req) : opts.access.isAdmin(req))) {
      sendError(res, new EngineError('unauthorized', isHealth ? 'missing or wrong API key (send "Authorization: Bearer <key>")' : adminKeyHelp(opts.adminTokenPath)), {
        'www-authenticate': 'Bearer',
      });
      return true;
    }
    dispatch({ engine, req, res, params: [], query: url.searchParams, keepaliveMs }, url.pathname);
    return true;
  };
}

/** The 401 text of /api/*: what key it wants and where a local user finds one. */
export function adminKeyHelp(adminTokenPath: string | undefined): string {
  const where = adminTokenPath ? `the admin token in ${adminTokenPath}` : "the admin token in the engine's state dir";
  return `the admin API needs an admin key: send "Authorization: Bearer <key>" with one of router.adminKeys or ${where} (the CLI and the desktop app read it themselves); inference keys (router.apiKeys) do not open /api/`;
}

/**
 * 200 `{ via: 'admin-key', adminToken: null }` for a request with an admin key; 200
 * `{ via: 'local-user', adminToken }` for a loopback client of the engine's own user (the UI in
 * that user's browser: no key to type); 401 otherwise. Never cached.
 */
async function handleSession(opts: AdminRoutesOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const noStore = { 'cache-control': 'no-store' };
  if (req.method !== 'GET') return sendJson(res, 405, { error: { code: 'bad_request', message: `${req.method} is not allowed on ${SESSION_PATH}; use GET` } }, { allow: 'GET' });
  if (opts.access.isAdmin(req)) return sendJson(res, 200, { via: 'admin-key', adminToken: null }, noStore);
  const adminToken = await opts.access.localUserToken(req);
  if (adminToken !== null) return sendJson(res, 200, { via: 'local-user', adminToken }, noStore);
  sendError(res, new EngineError('unauthorized', `this client is not the engine's own user on this machine; ${adminKeyHelp(opts.adminTokenPath)}`), { ...noStore, 'www-authenticate': 'Bearer' });
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
