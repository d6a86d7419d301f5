import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { EngineState } from '../../shared/engine-state.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { stopGracefully } from './support/stop-gracefully.js';
import { CLI_BIN, createSimHost, waitFor, type SimHost } from './support/sim-host.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const started: ChildProcess[] = [];
let host: SimHost | undefined;

afterEach(async () => {
  for (const child of started.splice(0)) await stopGracefully(child);
  await host?.cleanup();
  host = undefined;
});

/** Runs the CLI to completion. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `switchboard serve` in its own process group; resolves when it answers /health. */
async function serve(configPath: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--config', configPath, '--state-dir', join(host!.dir, 'state')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const url = `http://127.0.0.1:${host!.catalog.router.port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`serve exited: ${output}`);
    return request(`${url}/health`).then(
      (r) => r.body.dump().then(() => r.statusCode === 200),
      () => false,
    );
  }, 'serve to answer /health');
  return { child, url, output: () => output };
}

/** The admin token serve wrote to its state dir. */
async function adminHeaders(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${(await readFile(join(host!.dir, 'state', 'admin-token'), 'utf8')).trim()}` };
}

async function writeHostCatalog(): Promise<string> {
  const path = join(host!.dir, 'switchboard.yaml');
  await writeCatalogFile(path, host!.catalogInput);
  return path;
}

describe('switchboard CLI against a running serve (end to end)', () => {
  it('switch follows phases to ready (exit 0), reports an OOM with its hint (exit 1), and lists known ids for an unknown one', async () => {
    host = await createSimHost([
      { id: 'alpha', aliases: ['a'], shards: 3 },
      { id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } },
    ]);
    const { url, child } = await serve(await writeHostCatalog());

    const ok = await cli(['switch', 'a', '--url', url]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/weights/);
    expect(ok.stdout).toMatch(/ready in \d+m\d\ds/);

    const state = (await (await request(`${url}/api/state`, { headers: await adminHeaders() })).body.json()) as EngineState;
    expect(state.activeModel).toBe('alpha');

    const failed = await cli(['switch', 'oomy', '--url', url]);
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/CUDA out of memory/);
    expect(failed.stdout + failed.stderr).toMatch(/lower memFractionStatic or contextLength/);

    const unknown = await cli(['switch', 'nope', '--url', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout + unknown.stderr).toContain('unknown model "nope"; known: alpha, oomy');

    const status = await cli(['status', '--url', url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/oomy/);
    expect(status.stdout).toMatch(/CUDA out of memory/);

    // SIGTERM to serve stops the backend with it.
    await cli(['switch', 'alpha', '--url', url]);
    const backendPid = ((await (await request(`${url}/api/state`, { headers: await adminHeaders() })).body.json()) as EngineState).slots[0]!.pid!;
    expect(listGroupMembers(backendPid).length).toBeGreaterThan(0);
    process.kill(child.pid!, 'SIGTERM');
    await waitFor(() => child.exitCode !== null, 'serve to exit');
    expect(child.exitCode).toBe(0);
    expect(listGroupMembers(backendPid)).toEqual([]);
  });

  it('a second serve on a taken port says which process holds it', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const config = await writeHostCatalog();
    const first = await serve(config);
    const second = await cli(['serve', '--config', config, '--state-dir', join(host.dir, 'state2')]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already in use by pid ${first.child.pid}`);
    expect(second.stderr).toContain('serve');
  });

  it('serve refuses a broken catalog, naming line and field', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const path = join(host.dir, 'broken.yaml');
    await writeFile(path, 'router: { port: 8002 }\nmodels:\n  - id: x\n    modelPath: /nonexistent/model\n    tpp: 2\n');
    const run = await cli(['serve', '--config', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.yaml:5:5 models\[0\]\.tpp: unknown field "tpp"/);
  });
});
