import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { WebSocket } from 'ws';
import type { EngineReadyMessage } from '../../shared/engine-process-protocol.js';
import { ApiCallError, type ApiEvent, type ApiHandlers, type ApiTransport } from '../../shared/switchboard-api.js';
import { createRemoteHandlers } from '../../shared/transports/remote-handlers.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { adminTokenOf, readAdminToken } from '../engine/api/access/admin-token.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';
import { formatCatalogIssues, loadCatalogFile } from '../engine/catalog/load-catalog.js';
import { emptyCatalog } from '../engine/catalog/load-catalog-on-host.js';
import { EngineError } from '../../shared/engine-error.js';
import { findLeftoverServers, stopLeftover } from '../engine/host/leftover-servers.js';
import { ServerRecords } from '../engine/host/server-records.js';
import { EngineSupervisor, type EngineLaunch, type EngineSupervisorOptions } from './engine-supervisor.js';

/**
 * The engine the desktop app talks to: its own engine process, supervised (`engineProcess`), or a
 * `switchboard serve` found on the catalog's router port (attached). Either way IPC, the tray and
 * notifications only ever see `handlers` and `subscribe`, over the engine's /api/ws.
 */
export interface EngineHost {
  /** The router's base URL (what Open WebUI points at). */
  url: string;
  attached: boolean;
  handlers: ApiHandlers;
  /** Engine events one by one, in order; returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** The WebSocket to the engine dropped ('closed') or came back ('open'). */
  onConnection?(listener: (state: 'connecting' | 'open' | 'closed') => void): () => void;
  /** The app's own engine process (absent when attached to someone else's). */
  engineProcess?: Pick<EngineSupervisor, 'status' | 'onStatus' | 'restart'>;
  /** Own engine: stops it (SGLang first; SIGKILL and a sweep past the timeout). Attached: closes the socket. */
  close(): Promise<void>;
}

export interface StartEngineHostOptions {
  /** Load history, server records, admin token (default $XDG_STATE_HOME/sglang-switchboard). */
  stateDir?: string;
  /** Starts `switchboard serve --supervised` for a launch (default: startEngineProcess with this binary). */
  spawnEngine?: (launch: EngineLaunch, where: EngineProcessPlace) => ChildProcess;
  /** Supervisor tuning (tests use short delays). */
  supervisor?: Pick<EngineSupervisorOptions, 'restartDelayMs' | 'crashLoop' | 'readyTimeoutMs' | 'stopTimeoutMs' | 'echo'>;
}

/**
 * Attaches to an engine already answering on the catalog's router port, or starts the app's own
 * engine process (`switchboard serve --supervised`, the one engine assembly) and supervises it.
 * `--config FILE` picks the catalog; when it does not exist yet the engine starts in setup mode (the
 * window's first-run screen). Throws with the catalog's issues (file:line:col field:
 * message), or the engine process's own last words, when it cannot start.
 * No electron import here: this is plain Node, testable without the Electron binary.
 */
export async function startEngineHost(argv: string[], options: StartEngineHostOptions = {}): Promise<EngineHost> {
  const { values } = parseArgs({ args: argv.slice(1), options: { config: { type: 'string' }, port: { type: 'string' } }, strict: false, allowPositionals: true });
  const configPath = typeof values.config === 'string' ? values.config : defaultConfigPath();
  const portOverride = typeof values.port === 'string' ? Number(values.port) : undefined;
  if (portOverride !== undefined && !(Number.isInteger(portOverride) && portOverride > 0 && portOverride < 65536)) throw new Error(`--port must be a port number (1-65535), got "${values.port}"`);
  const stateDir = options.stateDir ?? defaultStateDir();
  // No catalog yet: the engine starts in setup mode and the window shows its first-run screen.
  const firstRun = !existsSync(configPath);
  const loaded = firstRun ? { ok: true as const, catalog: emptyCatalog() } : await loadCatalogFile(configPath);
  if (!loaded.ok) throw new Error(formatCatalogIssues(configPath, loaded.issues));
  const { host, adminKeys } = loaded.catalog.router;
  const port = portOverride ?? loaded.catalog.router.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const running = await probeRunningEngine(url, adminKeys[0] ?? (await readAdminToken(stateDir)) ?? undefined);
  if (running.kind === 'attach') return attachToEngine(url, running.adminKey);
  if (running.kind === 'locked-out') throw new Error(running.message);

  const spawnEngine = options.spawnEngine ?? startEngineProcess;
  const supervisor = new EngineSupervisor({
    ...options.supervisor,
    launch: { configPath, ...(firstRun ? { firstRun } : {}) },
    spawnEngine: (launch) => spawnEngine(launch, { stateDir, ...(portOverride ? { port: portOverride } : {}) }),
    reapLeftovers: () => stopRecordedServers(stateDir),
  });
  const ready = await supervisor.start();
  return superviseEngine(supervisor, ready);
}

/**
 * The app's engine process: `switchboard serve --supervised` run by this very binary as Node
 * (Electron with ELECTRON_RUN_AS_NODE; node in tests), in its own process group so a Ctrl-C in the
 * terminal reaches only the app, which then stops the engine gracefully.
 */
export function startEngineProcess(launch: EngineLaunch, where: EngineProcessPlace): ChildProcess {
  const args = [
    where.cliScript ?? defaultCliScript(),
    'serve',
    '--supervised',
    '--config',
    launch.configPath,
    '--state-dir',
    where.stateDir,
    ...(where.port ? ['--port', String(where.port)] : []),
    ...(launch.firstRun ? ['--first-run'] : []),
  ];
  return spawn(process.execPath, args, {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...launch.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
}

/** Where every engine process of this app session runs, whatever catalog it gets. */
export interface EngineProcessPlace {
  stateDir: string;
  /** `--port`: the router port for this session, over the catalog's. */
  port?: number;
  /** The CLI to run (default: the compiled one beside the main process). */
  cliScript?: string;
}

/**
 * The compiled CLI: beside the compiled main process (out/main/index.js → out/node/switchboard.js),
 * or, running from source (tests), the repository's out/node/switchboard.js.
 */
function defaultCliScript(): string {
  const beside = join(import.meta.dirname, '..', 'node', 'switchboard.js');
  return existsSync(beside) ? beside : join(import.meta.dirname, '..', '..', 'out', 'node', 'switchboard.js');
}

/**
 * The host over a supervised engine process: one WebSocket transport per engine URL (a restart on
 * another catalog may move it), listeners kept across the swap; the transport reconnects by itself
 * after a crash and a restart on the same URL.
 */
function superviseEngine(supervisor: EngineSupervisor, first: EngineReadyMessage): EngineHost {
  const eventListeners = new Set<(event: ApiEvent) => void>();
  const connectionListeners = new Set<(state: 'connecting' | 'open' | 'closed') => void>();
  let ready = first;
  let transport = connect(first);
  let detach = wire(transport);

  function connect(at: EngineReadyMessage): ApiTransport {
    return createWebSocketTransport({
      url: `${at.url.replace(/^http/, 'ws')}/api/ws`,
      adminKey: () => at.adminToken,
      WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
      // The engine is ours and comes back within seconds: look for it often.
      reconnectDelay: { initialMs: 200, maxMs: 2000 },
    });
  }
  function wire(t: ApiTransport): () => void {
    const offEvents = t.subscribe((events) => events.forEach((event) => eventListeners.forEach((listener) => listener(event))));
    const offConnection = t.onConnection?.((state) => connectionListeners.forEach((listener) => listener(state)));
    return () => {
      offEvents();
      offConnection?.();
    };
  }
  const offReady = supervisor.onReady((next) => {
    if (next.url === ready.url && next.adminToken === ready.adminToken) return;
    ready = next;
    detach();
    transport.close?.();
    transport = connect(next);
    detach = wire(transport);
  });
  return {
    get url() {
      return ready.url;
    },
    attached: false,
    handlers: createRemoteHandlers({ call: (method, params) => transport.call(method, params) }, { mapError: toEngineError }),
    subscribe: (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection: (listener) => {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    engineProcess: supervisor,
    close: async () => {
      offReady();
      detach();
      transport.close?.();
      await supervisor.stop();
    },
  };
}

/**
 * After an engine process was SIGKILLed (it did not stop in time) or crash-looped: the SGLang
 * servers its records name, still alive with the recorded start time, are stopped (SIGTERM to the
 * group, SIGKILL after a few seconds). Quitting never leaves a server holding the GPUs.
 */
async function stopRecordedServers(stateDir: string): Promise<void> {
  const records = await ServerRecords.open(join(stateDir, 'servers.json'));
  const { leftovers } = await findLeftoverServers({ records: records.list(), expected: [], isCurrent: () => false });
  await Promise.all(leftovers.map((leftover) => stopLeftover(leftover, 5000)));
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
