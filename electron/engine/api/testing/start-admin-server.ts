import { request } from 'undici';
import { createAdminRoutes, type AdminRoutesOptions } from '../admin-http.js';
import { startHttpServer, type RunningHttpServer } from '../start-http-server.js';
import { ScriptedEngine } from './scripted-engine.js';

/** A ScriptedEngine served by the admin routes on a free 127.0.0.1 port (test support). */
export interface AdminTestServer {
  engine: ScriptedEngine;
  server: RunningHttpServer;
  url: string;
  close(): Promise<void>;
}

export async function startAdminServer(opts: Partial<AdminRoutesOptions> = {}, engine = new ScriptedEngine()): Promise<AdminTestServer> {
  const handler = createAdminRoutes(engine, { apiKeys: [], ...opts });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, handler });
  return {
    engine,
    server,
    url: server.url,
    async close() {
      await server.close();
      await engine.close();
    },
  };
}

/** A parsed JSON response. */
export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request whose answer is read as JSON. */
export async function fetchJson(url: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
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
