import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoHost } from '../../../electron/cli/write-demo-host.js';
import { stopGracefully } from '../../integration/support/stop-gracefully.js';
import { CLI_BIN, freePort, waitFor } from '../../integration/support/sim-host.js';

export interface DemoServer {
  url: string;
  dir: string;
  configPath: string;
  child: ChildProcess;
  /** Everything serve printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `switchboard serve` on the demo catalog (three simulated models, six fake RTX 3090 through the
 * fake nvidia-smi) on free ports, in a temp folder. Resolves once /health answers.
 */
export async function startDemoServer(opts: { timeScale?: number } = {}): Promise<DemoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-e2e-'));
  const routerPort = await freePort();
  const configPath = await writeDemoHost({ dir, routerPort, backendPort: await freePort(), timeScale: opts.timeScale ?? 0.02 });
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
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${output}`);
      return fetch(`${url}/health`).then((r) => r.ok, () => false);
    }, 'serve to answer /health', 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dir, configPath, child, output: () => output, stop };
}
