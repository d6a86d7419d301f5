import { parseArgs } from 'node:util';
import { parseOrUsage } from './usage-error.js';
import type { Catalog } from '../../shared/catalog-schema.js';
import type { GpuAvailability } from '../../shared/gpu-types.js';
import { hostEngine } from '../engine/api/host-engine.js';
import type { CatalogWatcher } from '../engine/catalog/catalog-watcher.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';
import { killServerGroupsNow } from '../engine/host/live-server-groups.js';
import { connectToSupervisor, type SupervisorChannel } from './supervised-engine.js';
import { writeDemoHost } from '../engine/catalog/write-demo-host.js';

const USAGE = `usage: switchboard serve [--config FILE] [--host HOST] [--port PORT] [--state-dir DIR] [--first-run] [--supervised] [--no-watch]

Hosts the engine headless on router.host:router.port: the OpenAI-compatible router (/v1/*),
the admin API (/health, /api/*), the engine API's WebSocket (/api/ws) and the browser UI (/ui/).
Edits of the catalog file apply as they are saved (an invalid one is reported and ignored);
SIGHUP rereads it too.

--first-run   a catalog file that does not exist is not an error: the engine starts with no models
              and the UI shows its first-run screen (import start scripts, add a model); the first
              catalog written creates the file.
--supervised  run as the desktop app's engine process (started with an IPC channel): say when it
              serves, and stop (SGLang servers first) when the app goes away.
--no-watch    do not watch the catalog file (a network file system without change events): only
              SIGHUP reloads it.`;

/** What a running `serve` holds, so `demo` can reuse it. */
export interface ServeOptions {
  configPath: string;
  stateDir: string | null;
  host?: string;
  port?: number;
  /** Printed after the listening line (the demo's tips). */
  banner?: (url: string, catalog: Catalog) => string;
  /** Run as the desktop app's engine process (electron/main/engine-supervisor.ts). */
  supervised?: boolean;
  /** Start in setup mode when the catalog file does not exist. */
  firstRun?: boolean;
  /** Apply edits of the catalog file as they are saved (default true); SIGHUP reloads it either way. */
  watchCatalog?: boolean;
}

export async function runServe(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () =>
    parseArgs({
      args,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'state-dir': { type: 'string' },
        supervised: { type: 'boolean' },
        'first-run': { type: 'boolean' },
        'no-watch': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
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
    supervised: values.supervised === true,
    firstRun: values['first-run'] === true,
    watchCatalog: values['no-watch'] !== true,
  });
}

/** Loads the catalog, starts the engine and its HTTP server (hostEngine), and runs until SIGINT/SIGTERM; SIGHUP reloads the catalog. */
export async function serve(options: ServeOptions): Promise<number> {
  let supervisor: SupervisorChannel | null = null;
  try {
    if (options.supervised) supervisor = connectToSupervisor();
  } catch (err) {
    console.error(`switchboard serve: ${(err as Error).message}`);
    return 2;
  }
  // Before the engine starts: it may stop or launch servers while it starts.
  const shutdown = watchShutdownSignals();
  // Only a supervisor can start the engine again on another catalog (the simulated host, a new router port).
  let restartRequested: (() => void) | null = null;
  const restarting = new Promise<'restart'>((resolve) => (restartRequested = () => resolve('restart')));
  const channel = supervisor;
  const result = await hostEngine({
    configPath: options.configPath,
    stateDir: options.stateDir,
    host: options.host,
    port: options.port,
    firstRun: options.firstRun === true,
    watchCatalog: options.watchCatalog !== false,
    ...(channel
      ? {
          api: {
            writeSimulatedHost: writeDemoHost,
            requestRestart: async (request) => {
              await channel.requestRestart(request);
              restartRequested?.();
            },
          },
        }
      : {}),
  });
  if (!result.ok) {
    console.error(result.inCatalog ? result.message : `switchboard serve: ${result.message}`);
    return 1;
  }
  const { engine, server, catalog } = result.hosted;
  shutdown.started();
  keepGoingWithoutOutput();
  console.log(`switchboard ${engine.state().version} serving on ${server.url} (config ${options.configPath})`);
  console.log(
    result.hosted.firstRun
      ? `first run: ${options.configPath} does not exist yet; open the UI to import start scripts or add a model`
      : `models: ${catalog.models.map((m) => m.id).join(', ') || '(none — add some to the catalog)'}`,
  );
  console.log(describeGpus(engine.state().gpu));
  console.log(`UI: ${server.url}/ui/`);
  console.log(
    server.adminTokenPath
      ? `admin token: ${server.adminTokenPath} (the CLI and the desktop app read it; curl: -H "Authorization: Bearer $(cat ${server.adminTokenPath})")`
      : 'admin token: in memory only (no --state-dir)',
  );
  if (options.banner) console.log(options.banner(server.url, catalog));
  supervisor?.ready({ url: server.url, adminToken: server.adminToken, configPath: options.configPath });
  const stopReloading = reloadOnHangup(result.hosted.catalogWatcher);
  const why = await Promise.race([shutdown.signalled, restarting, supervisor?.gone ?? new Promise<never>(() => undefined)]);
  console.log(
    why === 'parent-gone'
      ? 'switchboard: the desktop app went away; stopping the backend…'
      : why === 'restart'
        ? 'switchboard: restarting on another catalog; stopping the backend…'
        : 'switchboard: stopping the backend…',
  );
  await result.hosted.close();
  stopReloading();
  return 0;
}

/**
 * SIGHUP rereads the catalog file (the daemon convention); the watcher logs what it did. The handler
 * stays until the engine has stopped: SIGHUP's default action would end the process in the middle of
 * stopping the SGLang servers (a reload then does nothing).
 */
function reloadOnHangup(watcher: CatalogWatcher): () => void {
  const onHangup = () => void watcher.reloadNow('signal').catch((err: Error) => console.error(`switchboard: SIGHUP: the catalog could not be reloaded: ${err.message}`));
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}

/**
 * `signalled` resolves on the first SIGINT/SIGTERM (a graceful stop follows: every SGLang server is
 * stopped and waited for). Installed before the engine starts: one that arrives while it starts —
 * stopping an earlier run's servers, launching the preload models — is kept until `started()`, as
 * the default action would end this process with those servers running. The handlers stay: a second
 * signal — a parent that stops its child twice, a second Ctrl-C — SIGKILLs every server group at once
 * and exits. They do not keep the process alive: a failed start still exits.
 */
function watchShutdownSignals(): { signalled: Promise<'signal'>; started(): void } {
  let starting = true;
  let received = false;
  let resolveSignalled: (why: 'signal') => void = () => undefined;
  const signalled = new Promise<'signal'>((resolve) => (resolveSignalled = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (!received) {
      received = true;
      if (starting) console.error(`switchboard: ${signal} while starting: stopping once the engine has started (send it again to kill the SGLang servers now)`);
      resolveSignalled('signal');
      return;
    }
    const killed = killServerGroupsNow();
    console.error(`switchboard: ${signal} again: killed ${killed} SGLang server group(s) without waiting for them to drain`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  return { signalled, started: () => (starting = false) };
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
