import { parseArgs } from 'node:util';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { ApiCallError, type ApiEvent, type ApiHandlers } from '../../shared/switchboard-api.js';
import { createRemoteHandlers } from '../../shared/transports/remote-handlers.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { createEngineApi } from '../engine/api/create-engine-api.js';
import { adminTokenOf, readAdminToken } from '../engine/api/access/admin-token.js';
import { startEngineServer } from '../engine/api/start-engine-server.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';
import { formatCatalogIssues } from '../engine/catalog/load-catalog.js';
import { loadCatalogOnHost } from '../engine/catalog/load-catalog-on-host.js';
import { createEngine } from '../engine/engine.js';
import { EngineError } from '../engine/engine-error.js';

/**
 * The engine the desktop app talks to, the same shape whether it runs in this process or is a
 * `switchboard serve` found on the catalog's router port: IPC, the tray and notifications only
 * ever see `handlers` and `subscribe`.
 */
export interface EngineHost {
  /** The router's base URL (what Open WebUI points at). */
  url: string;
  attached: boolean;
  handlers: ApiHandlers;
  /** Engine events one by one, in order; returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** Attached only: the WebSocket to the remote engine dropped ('closed') or came back ('open'). */
  onConnection?(listener: (state: 'connecting' | 'open' | 'closed') => void): () => void;
  /** In-process: stops the engine (and its SGLang child) and the router. Attached: closes the socket. */
  close(): Promise<void>;
}

/**
 * Attaches to an engine already answering on the catalog's router port, or hosts one in-process
 * (engine + router on that port). `--config FILE` picks the catalog. Throws with the catalog's
 * issues (file:line:col field: message) when it does not load. `stateDir` (load history) defaults to
 * $XDG_STATE_HOME/sglang-switchboard.
 * No electron import here: this is plain Node, testable without the Electron binary.
 */
export async function startEngineHost(argv: string[], options: { stateDir?: string } = {}): Promise<EngineHost> {
  const { values } = parseArgs({ args: argv.slice(1), options: { config: { type: 'string' } }, strict: false, allowPositionals: true });
  const configPath = typeof values.config === 'string' ? values.config : defaultConfigPath();
  const stateDir = options.stateDir ?? defaultStateDir();
  const { loaded, topology } = await loadCatalogOnHost(configPath);
  if (!loaded.ok) throw new Error(formatCatalogIssues(configPath, loaded.issues));
  const { host, port, adminKeys } = loaded.catalog.router;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const running = await probeRunningEngine(url, adminKeys[0] ?? (await readAdminToken(stateDir)) ?? undefined);
  if (running.kind === 'attach') return attachToEngine(url, running.adminKey);
  if (running.kind === 'locked-out') throw new Error(running.message);

  const engine = await createEngine({ catalog: loaded.catalog, configPath, stateDir, ...(topology ? { gpuTopology: topology } : {}) });
  // The same as `switchboard serve`: router, admin API and /api/ws, so other clients can attach.
  const api = createEngineApi(engine, configPath);
  let server;
  try {
    server = await startEngineServer(engine, { host, port, stateDir, handlers: api.handlers });
  } catch (err) {
    await engine.close();
    throw err;
  }
  return {
    url: server.url,
    attached: false,
    handlers: api.handlers,
    subscribe: (listener) => engine.subscribe(listener),
    close: async () => {
      await engine.close();
      await server.close();
    },
  };
}

/** A remote engine through its /api/ws: calls keep their error codes, event batches are unrolled. */
export function attachToEngine(url: string, adminKey: string | undefined): EngineHost {
  const transport = createWebSocketTransport({
    url: `${url.replace(/^http/, 'ws')}/api/ws`,
    adminKey: () => adminKey,
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  return {
    url,
    attached: true,
    handlers: createRemoteHandlers(transport, { mapError: toEngineError }),
    subscribe: (listener) => transport.subscribe((events) => events.forEach(listener)),
    onConnection: transport.onConnection ? (listener) => transport.onConnection!(listener) : undefined,
    close: async () => transport.close?.(),
  };
}

/** dispatchApiCall keeps the code of an EngineError only; a remote ApiCallError becomes one. */
function toEngineError(err: unknown): unknown {
  return err instanceof ApiCallError ? new EngineError(err.code, err.message, err.details) : err;
}

type RunningEngine = { kind: 'none' } | { kind: 'attach'; adminKey: string | undefined } | { kind: 'locked-out'; message: string };

/**
 * Whether a Switchboard engine already answers on `url`, and with which admin key the app can
 * attach: `adminKey` (the catalog's or the token file's), else the token its /api/session hands
 * this user. An engine that answers but refuses every key this user has is `locked-out`.
 */
async function probeRunningEngine(url: string, adminKey: string | undefined): Promise<RunningEngine> {
  const state = await getState(url, adminKey);
  if (state === 'none') return { kind: 'none' };
  if (state === 'ok') return { kind: 'attach', adminKey };
  const session = await request(`${url}/api/session`, { headersTimeout: 1000 }).then(
    async (res) => (res.statusCode === 200 ? adminTokenOf(await res.body.text()) : (await res.body.dump(), null)),
    () => null,
  );
  if (session !== null && (await getState(url, session)) === 'ok') return { kind: 'attach', adminKey: session };
  return {
    kind: 'locked-out',
    message: `a Switchboard engine already serves ${url} but refuses this user's admin key: put one of its router.adminKeys in this catalog's router.adminKeys, or stop it`,
  };
}

async function getState(url: string, adminKey: string | undefined): Promise<'ok' | 'unauthorized' | 'none'> {
  try {
    const res = await request(`${url}/api/state`, { headersTimeout: 1000, headers: adminKey ? { authorization: `Bearer ${adminKey}` } : {} });
    if (res.statusCode === 401) {
      await res.body.dump();
      return 'unauthorized';
    }
    const body = (await res.body.json()) as { version?: unknown };
    return res.statusCode === 200 && typeof body.version === 'string' ? 'ok' : 'none';
  } catch {
    return 'none';
  }
}
