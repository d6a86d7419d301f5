import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeDemoHost } from '../../../electron/engine/catalog/write-demo-host.js';
import { writeCatalogFile } from '../../../electron/engine/catalog/write-catalog.js';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { stopGracefully } from '../../integration/support/stop-gracefully.js';
import { CLI_BIN, freePort, waitFor } from '../../integration/support/sim-host.js';

export interface DemoServer {
  url: string;
  port: number;
  dir: string;
  configPath: string;
  child: ChildProcess;
  /** The engine's generated admin token (`<dir>/state/admin-token`), as the CLI reads it. */
  adminToken(): Promise<string>;
  /** Everything serve printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `switchboard serve` on the demo catalog (three simulated models, six fake RTX 3090 through the
 * fake nvidia-smi) on free ports, in a temp folder. Resolves once /health answers.
 */
export async function startDemoServer(opts: { timeScale?: number; router?: Partial<CatalogInput['router']> } = {}): Promise<DemoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-e2e-'));
  const routerPort = await freePort();
  const configPath = await writeDemoHost({ dir, routerPort, backendPort: await freePort(), timeScale: opts.timeScale ?? 0.02 });
  if (opts.router) {
    // The demo's own catalog plus these router settings (e.g. adminKeys); the file keeps its mode 0600.
    const catalog = parse(await readFile(configPath, 'utf8')) as CatalogInput;
    await writeCatalogFile(configPath, { ...catalog, router: { ...catalog.router, ...opts.router } });
  }
  let output = '';
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--config', configPath, '--state-dir', join(dir, 'state')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, FAKE_NVIDIA_SMI_STATE: join(dir, 'nvidia-smi-state.json') },
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${routerPort}`;
  const stop = async () => {
    await stopGracefully(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${output}`);
        return fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        );
      },
      'serve to answer /health',
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const adminToken = async () => (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
  return { url, port: routerPort, dir, configPath, child, adminToken, output: () => output, stop };
}
