import { parseArgs } from 'node:util';
import { parseOrUsage } from './usage-error.js';
import type { Catalog } from '../../shared/catalog-schema.js';
import type { GpuAvailability } from '../../shared/gpu-types.js';
import { createEngineApi } from '../engine/api/create-engine-api.js';
import { isLoopbackHost } from '../engine/api/access/access-policy.js';
import { refuseUnprotectedBind, startEngineServer } from '../engine/api/start-engine-server.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';
import { formatCatalogIssues } from '../engine/catalog/load-catalog.js';
import { loadCatalogOnHost } from '../engine/catalog/load-catalog-on-host.js';
import { createEngine } from '../engine/engine.js';
import { EngineError } from '../engine/engine-error.js';
import { killServerGroupsNow } from '../engine/host/live-server-groups.js';

const USAGE = `usage: switchboard serve [--config FILE] [--host HOST] [--port PORT] [--state-dir DIR]

Hosts the engine headless on router.host:router.port: the OpenAI-compatible router (/v1/*),
the admin API (/health, /api/*), the engine API's WebSocket (/api/ws) and the browser UI (/ui/).`;

/** What a running `serve` holds, so `demo` can reuse it. */
export interface ServeOptions {
  configPath: string;
  stateDir: string | null;
  host?: string;
  port?: number;
  /** Printed after the listening line (the demo's tips). */
  banner?: (url: string, catalog: Catalog) => string;
}

export async function runServe(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () =>
    parseArgs({
      args,
      options: { config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    console.error(`--port must be a port number (1-65535), got "${values.port}"`);
    return 2;
  }
  return serve({
    configPath: values.config ?? defaultConfigPath(),
    stateDir: values['state-dir'] ?? defaultStateDir(),
    host: values.host,
    port,
  });
}

/** Loads the catalog, starts the engine and its HTTP server, and runs until SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<number> {
  const { loaded, topology } = await loadCatalogOnHost(options.configPath);
  if (!loaded.ok) {
    console.error(formatCatalogIssues(options.configPath, loaded.issues));
    return 1;
  }
  if (loaded.issues.length > 0) console.error(formatCatalogIssues(options.configPath, loaded.issues));
  const catalog = loaded.catalog;
  const host = options.host ?? catalog.router.host;
  const port = options.port ?? catalog.router.port;
  try {
    refuseUnprotectedBind(host, catalog);
  } catch (err) {
    console.error(`switchboard serve: ${(err as Error).message}`);
    return 1;
  }
  if (!isLoopbackHost(host) && catalog.router.apiKeys.length === 0) {
    console.error(`warning: serving on ${host} without router.apiKeys — anyone who can reach this host can use the models (and make the router switch between them)`);
  }
  const engine = await createEngine({ catalog, configPath: options.configPath, stateDir: options.stateDir, ...(topology ? { gpuTopology: topology } : {}) });
  let server;
  try {
    const api = createEngineApi(engine, options.configPath);
    server = await startEngineServer(engine, { host, port, stateDir: options.stateDir, handlers: api.handlers });
  } catch (err) {
    await engine.close();
    if (err instanceof EngineError || isFileSystemError(err)) {
      console.error(`switchboard serve: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
  keepGoingWithoutOutput();
  console.log(`switchboard ${engine.state().version} serving on ${server.url} (config ${options.configPath})`);
  console.log(`models: ${catalog.models.map((m) => m.id).join(', ') || '(none — add some to the catalog)'}`);
  console.log(describeGpus(engine.state().gpu));
  console.log(`UI: ${server.url}/ui/`);
  console.log(server.adminTokenPath ? `admin token: ${server.adminTokenPath} (the CLI and the desktop app read it; curl: -H "Authorization: Bearer $(cat ${server.adminTokenPath})")` : 'admin token: in memory only (no --state-dir)');
  if (options.banner) console.log(options.banner(server.url, catalog));
  await waitForShutdownSignal();
  console.log('switchboard: stopping the backend…');
  await engine.close();
  await server.close();
  return 0;
}

/**
 * Resolves on the first SIGINT/SIGTERM/SIGHUP (a graceful stop follows: every SGLang server is stopped
 * and waited for). The handlers stay: a second signal while that runs — a parent that stops its
 * child twice, a second Ctrl-C — SIGKILLs every server group at once and exits, instead of the
 * default action ending this process with the servers still running.
 */
function waitForShutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (!received) {
        received = true;
        resolve();
        return;
      }
      const killed = killServerGroupsNow();
      console.error(`switchboard: ${signal} again: killed ${killed} SGLang server group(s) without waiting for them to drain`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
}

/**
 * A parent that reads our output through a pipe may exit first (and take the pipe with it): a write
 * then fails with EPIPE, which, unhandled, would end this process in the middle of stopping the
 * servers. Output that cannot be written is dropped; the stop goes on.
 */
function keepGoingWithoutOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    });
  }
}

function describeGpus(gpu: GpuAvailability | undefined): string {
  if (!gpu) return 'GPUs: not monitored';
  return gpu.available ? `GPUs: ${gpu.gpuCount} monitored` : `GPUs: ${gpu.reason}`;
}

/** EACCES, EROFS … while creating the state dir or the admin token file: worth a line, not a stack. */
function isFileSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
