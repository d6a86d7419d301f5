import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/testing/run-cli.js';
import { stopGracefully } from './support/stop-gracefully.js';
import { CLI_BIN, freePort, waitFor } from './support/sim-host.js';

// `switchboard demo` as a user runs it (`npm run demo`): bin/switchboard.js starts the compiled CLI,
// which runs the compiled SGLang simulator and fake nvidia-smi from out/node (no tsx anywhere), and
// Ctrl-C leaves no process behind.

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** Live processes whose command line names `text`. */
function processesNaming(text: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(text) && !/^[ZX]$/.test(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]![0]!)) found.push(`${name}: ${cmdline}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describe('switchboard demo', () => {
  let dir: string;
  let demo: ChildProcess | undefined;
  afterAll(async () => {
    if (demo) await stopGracefully(demo);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the simulated host, switches a model on the compiled simulator and stops everything on SIGINT', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-demo-test-'));
    const port = await freePort();
    const child = spawn(process.execPath, [CLI_BIN, 'demo', '--dir', dir, '--port', String(port), '--time-scale', '0.02'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    demo = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`demo exited with ${child.exitCode}:\n${output}`);
        return output.includes('Ctrl-C stops the engine');
      },
      'the demo banner',
      30_000,
    );
    const url = `http://127.0.0.1:${port}`;
    expect(output).toContain(`Demo host in ${dir}`);

    // The six GPUs come from the compiled fake nvidia-smi, through the launcher the demo wrote.
    const token = (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
    const gpu = await waitFor(async () => {
      const body = (await (await fetch(`${url}/api/gpu`, { headers: { authorization: `Bearer ${token}` } })).json()) as { available: boolean; samples: { name: string }[] };
      return body.samples.length > 0 ? body : null;
    }, 'GPU samples');
    expect(gpu.available).toBe(true);
    expect(gpu.samples.map((s) => s.name)).toEqual(Array(6).fill('NVIDIA GeForce RTX 3090'));
    expect(await readFile(join(dir, 'bin', 'nvidia-smi'), 'utf8')).toContain('out/node/nvidia-smi.js');

    // The bundle finds the browser UI in the checkout's out/renderer (built by electron-vite, or not yet).
    const ui = await fetch(`${url}/ui/`);
    if (existsSync(join(RENDERER, 'index.html'))) expect(ui.status).toBe(200);
    else expect(await ui.text()).toContain(`looked in ${RENDERER}`);

    const switched = await runCli(['switch', 'qwen', '--url', url]);
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stdout).toMatch(/ready in/);
    expect(processesNaming(join(dir, 'models')).join('\n')).toContain('out/node/sglang-sim.js');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    demo = undefined;
    await waitFor(() => processesNaming(dir).length === 0, `no process naming ${dir} (${processesNaming(dir).join('; ')})`, 10_000);
  });
});
