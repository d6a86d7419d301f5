import type { Socket } from 'node:net';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { createEngineAccess } from '../../engine/api/access/engine-access.js';
import { createAdminRoutes } from '../../engine/api/admin-http.js';
import { createEngineApi } from '../../engine/api/create-engine-api.js';
import { startHttpServer } from '../../engine/api/start-http-server.js';
import { ScriptedEngine, TEST_CATALOG } from '../../engine/api/testing/scripted-engine.js';
import { TEST_ADMIN_TOKEN } from '../../engine/api/testing/start-admin-server.js';
import { createWebSocketRoute } from '../../engine/api/websocket-route.js';

/** A ScriptedEngine as the CLI reaches it: the contract's real handlers on /api/ws, and /api/session (test support). */
export interface CliTestEngine {
  engine: ScriptedEngine;
  url: string;
  adminToken: string;
  close(): Promise<void>;
}

export interface CliTestEngineOptions {
  /** The router section of the scripted engine's catalog (keys, access lists). */
  router?: CatalogInput['router'];
  /** The uid /api/session sees for a loopback client (default: read from /proc/net/tcp). */
  peerUid?: (socket: Socket) => Promise<number | null>;
}

export async function startCliTestEngine(opts: CliTestEngineOptions = {}): Promise<CliTestEngine> {
  const engine = new ScriptedEngine({ ...TEST_CATALOG, ...(opts.router ? { router: opts.router } : {}) });
  const access = createEngineAccess({ router: () => engine.catalog().router, adminToken: TEST_ADMIN_TOKEN, ...(opts.peerUid ? { peerUid: opts.peerUid } : {}) });
  // The engine's own handlers (what `switchboard serve` serves); the CLI calls none of the catalog editor's methods, so its file need not exist.
  const { handlers } = createEngineApi(engine, '/nonexistent/switchboard-cli-test.yaml', { checkFiles: false, topology: () => null });
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    handler: createAdminRoutes(engine, { access }),
    upgrade: createWebSocketRoute(engine, handlers, { access }),
  });
  return {
    engine,
    url: server.url,
    adminToken: TEST_ADMIN_TOKEN,
    async close() {
      await server.close();
      await engine.close();
    },
  };
}
