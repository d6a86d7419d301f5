import type { Socket } from 'node:net';
import { request } from 'undici';
import type { CatalogInput } from '../../../../shared/catalog-schema.js';
import { createEngineAccess } from '../access/engine-access.js';
import { createAdminRoutes } from '../admin-http.js';
import { startHttpServer, type RunningHttpServer } from '../start-http-server.js';
import { ScriptedEngine, TEST_CATALOG } from './scripted-engine.js';

/** The admin token of every test server (a real engine generates its own). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnopqrstuv';

/** A ScriptedEngine served by the admin routes on a free 127.0.0.1 port (test support). */
export interface AdminTestServer {
  engine: ScriptedEngine;
  server: RunningHttpServer;
  url: string;
  adminToken: string;
  /** fetchJson on this server with the admin token, and a JSON content type when there is a body; `headers` override both. */
  fetch(path: string, init?: FetchInit): Promise<JsonResponse>;
  close(): Promise<void>;
}

export interface AdminTestServerOptions {
  /** The router section of the scripted engine's catalog (keys, access lists). */
  router?: CatalogInput['router'];
  sseKeepaliveMs?: number;
  /** The uid /api/session sees for a loopback client (default: read from /proc/net/tcp). */
  peerUid?: (socket: Socket) => Promise<number | null>;
}

export async function startAdminServer(opts: AdminTestServerOptions = {}, engine = new ScriptedEngine({ ...TEST_CATALOG, ...(opts.router ? { router: opts.router } : {}) })): Promise<AdminTestServer> {
  const access = createEngineAccess({ router: () => engine.catalog().router, adminToken: TEST_ADMIN_TOKEN, ...(opts.peerUid ? { peerUid: opts.peerUid } : {}) });
  const handler = createAdminRoutes(engine, { access, ...(opts.sseKeepaliveMs === undefined ? {} : { sseKeepaliveMs: opts.sseKeepaliveMs }) });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, handler });
  return {
    engine,
    server,
    url: server.url,
    adminToken: TEST_ADMIN_TOKEN,
    fetch: (path, init = {}) => fetchJson(server.url + path, { ...init, headers: { ...adminHeaders(TEST_ADMIN_TOKEN, init.body !== undefined || init.method === 'POST'), ...init.headers } }),
    async close() {
      await server.close();
      await engine.close();
    },
  };
}

/** `Authorization` with the admin key, and `Content-Type: application/json` for a write. */
export function adminHeaders(adminKey: string, isWrite: boolean): Record<string, string> {
  return { authorization: `Bearer ${adminKey}`, ...(isWrite ? { 'content-type': 'application/json' } : {}) };
}

/** A parsed JSON response. */
export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** What fetchJson sends. */
export interface FetchInit {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  body?: string;
  headers?: Record<string, string>;
}

/** One HTTP request whose answer is read as JSON. */
export async function fetchJson(url: string, init: FetchInit = {}): Promise<JsonResponse> {
  const res = await request(url, { method: init.method ?? 'GET', body: init.body, headers: init.headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Polls `predicate` until it holds (the tests wait on visible state, not on sleeps). */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
