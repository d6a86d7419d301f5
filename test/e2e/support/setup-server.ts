import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import { writeDemoHost } from '../../../electron/engine/catalog/write-demo-host.js';
import { createEngineApi, type RequestRestart } from '../../../electron/engine/api/create-engine-api.js';
import { startEngineServer, type EngineServer } from '../../../electron/engine/api/start-engine-server.js';
import { loadCatalogOnHost } from '../../../electron/engine/catalog/load-catalog-on-host.js';
import { formatCatalogIssues } from '../../../electron/engine/catalog/load-catalog.js';
import { createEngine } from '../../../electron/engine/engine.js';
import type { Engine } from '../../../electron/engine/engine-api.js';
import { freePort } from '../../integration/support/sim-host.js';

/** No nvidia-smi is run: the engine is told the host has no topology, and GPU telemetry is off. */
const NO_GPU = async (): Promise<GpuTopologySnapshot> => ({ atMs: Date.now(), topology: null, nvlink: null, nvlinkSets: [], errors: [] });

export interface SetupServer {
  url: string;
  dir: string;
  /** Where the engine will write the first catalog (it does not exist at start). */
  configPath: string;
  /** The engine serving now (another one after a restart). */
  engine(): Engine;
  /** Restarts asked for through the engine's requestRestart, in order. */
  restarts: { configPath: string; env?: Record<string, string> }[];
  stop(): Promise<void>;
}

export interface SetupServerOptions {
  /**
   * Give the engine a requestRestart, as the desktop app's supervisor does: the engine and its server
   * are replaced in this process by ones on the requested catalog, on the same port (what the
   * supervisor does with a new `switchboard serve` process).
   */
  restartable?: boolean;
}

/**
 * An engine in setup mode (first run) on a free loopback port, hosted in-process as the host
 * assembly does it: the catalog file does not exist (loadCatalogOnHost with allowMissing), the engine
 * starts on the empty catalog with `firstRun`, the router, admin API, /api/ws and /ui/ listen.
 */
export async function startSetupServer(opts: SetupServerOptions = {}): Promise<SetupServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-first-run-'));
  const configPath = join(dir, 'config', 'sglang-switchboard', 'switchboard.yaml');
  const stateDir = join(dir, 'state');
  const port = await freePort();
  const restarts: SetupServer['restarts'] = [];
  let current: { engine: Engine; server: EngineServer } | undefined;
  let restarting: Promise<void> = Promise.resolve();

  const host = async (path: string): Promise<{ engine: Engine; server: EngineServer }> => {
    const loaded = await loadCatalogOnHost(path, { allowMissing: true, readTopology: NO_GPU });
    if (!loaded.loaded.ok) throw new Error(formatCatalogIssues(path, loaded.loaded.issues));
    const engine = await createEngine({ catalog: loaded.loaded.catalog, configPath: path, stateDir, gpuMonitor: false, firstRun: loaded.missing === true });
    const requestRestart: RequestRestart | undefined = opts.restartable
      ? (request) => {
          restarts.push(request);
          restarting = (async () => {
            await close();
            // request.env (the fake nvidia-smi's state file) is not needed: GPU telemetry is off here.
            current = await host(request.configPath);
          })();
        }
      : undefined;
    // As the serve command passes them: the CLI's demo-host writer, and a restart when the host can do one.
    const api = createEngineApi(engine, path, { stateDir, topology: () => null, writeSimulatedHost: writeDemoHost, ...(requestRestart ? { requestRestart } : {}) });
    const server = await startEngineServer(engine, { host: '127.0.0.1', port, stateDir, handlers: api.handlers });
    return { engine, server };
  };
  const close = async () => {
    const running = current;
    current = undefined;
    if (!running) return;
    await running.engine.close();
    await running.server.close();
  };

  try {
    current = await host(configPath);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    configPath,
    engine: () => current!.engine,
    restarts,
    async stop() {
      await restarting.catch(() => undefined);
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A model folder the catalog accepts (config.json with heads for the TP check); returns its path. */
export async function writeModelDir(dir: string, name: string): Promise<string> {
  const path = join(dir, 'models', name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 8192 }));
  return path;
}

/** A folder with one start_sglang_<name>.sh launching `modelPath` as `servedName`; returns the folder. */
export async function writeStartScript(dir: string, name: string, modelPath: string, servedName: string): Promise<string> {
  const scripts = join(dir, 'scripts');
  await mkdir(scripts, { recursive: true });
  await writeFile(
    join(scripts, `start_sglang_${name}.sh`),
    `#!/usr/bin/env bash\nexport CUDA_VISIBLE_DEVICES=0\npython3 -m sglang.launch_server --model-path ${modelPath} --served-model-name ${servedName} --port 30000 --context-length 8192\n`,
    { mode: 0o755 },
  );
  return scripts;
}
