import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../../../shared/engine-error.js';
import type { SimulatedHostStart } from '../../../shared/switchboard-api.js';
import { isPortFree } from '../../system/find-port-owner.js';
import type { Engine } from '../engine-api.js';

/** What the engine asks its host (the desktop app's supervisor) for: start the engine again on this catalog. */
export interface EngineRestartRequest {
  configPath: string;
  /** Extra environment for the next engine process (the simulated host's fake nvidia-smi state). */
  env?: Record<string, string>;
}

/**
 * Called by the engine when it wants to run on another catalog: the host stops this engine and starts
 * a new one on `configPath` (same state dir, same --host/--port overrides). It is called after the API
 * reply that caused it has been handed to the transport.
 */
export type RequestRestart = (request: EngineRestartRequest) => void | Promise<void>;

/**
 * Writes the simulated host (model folders and a catalog using the SGLang simulator and the fake
 * nvidia-smi) into `dir` and returns the catalog's path: the CLI's `writeDemoHost`
 * (electron/engine/catalog/write-demo-host.ts), which the host passes in: only a host that can restart the engine offers the simulated host.
 */
export type SimulatedHostWriter = (options: { dir: string; routerPort: number; backendPort: number; timeScale: number }) => Promise<string>;

/** The simulator's time scale (as `switchboard demo`'s default): loads take tens of seconds. */
const SIMULATED_TIME_SCALE = 0.15;

export interface SimulatedHostOptions {
  engine: Engine;
  /** Where the simulated host is written (`<stateDir>/simulated-host` by the API's default). */
  dir: string;
  requestRestart?: RequestRestart;
  writeSimulatedHost?: SimulatedHostWriter;
}

/**
 * `setup.startSimulatedHost`: refuses outside setup mode (`conflict`) and without a host that can
 * restart the engine and write the simulated host (`unavailable`, pointing at `switchboard demo`);
 * else writes the demo host into `dir` (model folders, the catalog; the fake nvidia-smi keeps its
 * state there) and asks for the restart. The new engine serves the router on this catalog's
 * router.port, so a browser reconnects to it.
 */
export async function startSimulatedHost(options: SimulatedHostOptions): Promise<SimulatedHostStart> {
  const { engine, dir, requestRestart, writeSimulatedHost } = options;
  if (!engine.state().setup) {
    throw new EngineError('conflict', `the engine already runs on a catalog (${engine.state().configPath}); the simulated host is offered on first run only — run \`switchboard demo\` to try it`);
  }
  if (!requestRestart || !writeSimulatedHost) {
    throw new EngineError(
      'unavailable',
      'this engine cannot restart itself on the simulated host (it runs without the desktop app): stop it and run `switchboard demo` in a terminal, which serves the same simulated host',
    );
  }
  const running = engine.catalog();
  const routerPort = running.router.port;
  const backendPort = await freeBackendPort(running.backend.host, running.backend.port, routerPort);
  let configPath: string;
  try {
    configPath = await writeSimulatedHost({ dir, routerPort, backendPort, timeScale: SIMULATED_TIME_SCALE });
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('unavailable', `cannot write the simulated host into ${dir}: ${err instanceof Error ? err.message : String(err)}`, { dir });
  }
  const env = { FAKE_NVIDIA_SMI_STATE: join(dir, 'fake-nvidia-smi-state.json'), FAKE_NVIDIA_SMI_PRIVILEGED: '1' };
  deferRestart(requestRestart, { configPath, env });
  return { configPath, restarting: true };
}

/** The simulated host's folder: `<stateDir>/simulated-host`, or one in the temp dir for an engine without a state dir. */
export function simulatedHostDir(stateDir: string | null | undefined): string {
  return stateDir ? join(stateDir, 'simulated-host') : join(tmpdir(), `sglang-switchboard-simulated-host-${process.getuid?.() ?? 'user'}`);
}

/**
 * Asks for the restart once the current call's reply is out (the dispatch resolves, the transport
 * sends, then this runs): the host stops this engine right after, and the client should hear why.
 */
export function deferRestart(requestRestart: RequestRestart, request: EngineRestartRequest): void {
  setImmediate(() => {
    Promise.resolve()
      .then(() => requestRestart(request))
      .catch((err: unknown) => console.error(`switchboard: asking the host to restart the engine on ${request.configPath} failed:`, err));
  });
}

/** The catalog's backend port when free (and not the router's), else any free port. */
async function freeBackendPort(host: string, preferred: number, routerPort: number): Promise<number> {
  if (preferred !== routerPort && (await isPortFree(host, preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
