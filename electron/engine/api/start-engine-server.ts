import type { Catalog } from '../../../shared/catalog-schema.js';
import type { ApiHandlers } from '../../../shared/switchboard-api.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { createEngineHttpHandler } from '../engine-http-handler.js';
import { isLoopbackHost } from './access/access-policy.js';
import { createEngineAccess, type EngineAccess } from './access/engine-access.js';
import { adminTokenPath, ensureAdminToken } from './access/admin-token.js';
import { startHttpServer, type RunningHttpServer } from './start-http-server.js';
import type { UiStaticRouteOptions } from './ui-static-route.js';
import { createWebSocketRoute } from './websocket-route.js';

export interface EngineServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the admin token is kept (created on first start); null keeps it in memory (tests). */
  stateDir: string | null;
  /** The contract's handlers, served over /api/ws. */
  handlers: ApiHandlers;
  ui?: UiStaticRouteOptions;
  /** Warnings (an admin token file that had to be replaced). */
  log?: (line: string) => void;
}

/** The router port of a running engine: router, admin API, /api/ws and /ui/. */
export interface EngineServer extends RunningHttpServer {
  /** The generated admin token (router.adminKeys are valid too). */
  adminToken: string;
  /** Its file, when the engine has a state dir. */
  adminTokenPath: string | null;
  access: EngineAccess;
}

/**
 * Serves the engine on host:port — the one assembly `switchboard serve` and the desktop app share.
 * Refuses (EngineError bad_request) a non-loopback address without router.adminKeys; otherwise
 * ensures the admin token and starts the HTTP server with the WebSocket beside it.
 */
export async function startEngineServer(engine: Engine, opts: EngineServerOptions): Promise<EngineServer> {
  refuseUnprotectedBind(opts.host, engine.catalog());
  const adminToken = await ensureAdminToken(opts.stateDir, (why) => (opts.log ?? console.error)(`switchboard: ${why}`));
  const tokenPath = opts.stateDir === null ? null : adminTokenPath(opts.stateDir);
  const access = createEngineAccess({ router: () => engine.catalog().router, adminToken, bindHost: opts.host });
  const common = { access, ...(tokenPath ? { adminTokenPath: tokenPath } : {}) };
  const upgrade = createWebSocketRoute(engine, opts.handlers, common);
  const server = await startHttpServer({ host: opts.host, port: opts.port, handler: createEngineHttpHandler(engine, { ...common, ui: opts.ui }), upgrade });
  return { ...server, adminToken, adminTokenPath: tokenPath, access };
}

/**
 * Beyond loopback the admin API (model switches, power limits through the root helper) is
 * reachable from other machines, where the generated token file cannot be read: an admin key
 * must be configured. Throws EngineError('bad_request') saying how.
 */
export function refuseUnprotectedBind(host: string, catalog: Catalog): void {
  if (isLoopbackHost(host) || catalog.router.adminKeys.length > 0) return;
  throw new EngineError(
    'bad_request',
    `refusing to serve on ${host} without router.adminKeys: the admin API (switches, power limits) would be reachable from other machines. ` +
      'Either add an admin key to the catalog — router: { adminKeys: ["<output of: openssl rand -hex 32>"] }, catalog file mode 600 — ' +
      'or bind router.host: 127.0.0.1 and reach it through an SSH tunnel (ssh -L 8002:127.0.0.1:8002 host)',
  );
}
