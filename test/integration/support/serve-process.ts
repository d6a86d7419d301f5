import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type { EngineState } from '../../../shared/engine-state.js';
import { writeCatalogFile } from '../../../electron/engine/catalog/write-catalog.js';
import { listGroupMembers } from '../../../electron/system/process-group.js';
import { CLI_BIN, waitFor, type SimHost } from './sim-host.js';

/** A `switchboard serve` child in its own process group, over a simulated host. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  state(): Promise<EngineState>;
  /** POST /api/… with the admin token and a JSON body. */
  post(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes the host's catalog (as `catalogInput`, possibly changed by the caller) to its folder. */
export async function writeHostCatalog(host: SimHost, name = 'switchboard.yaml'): Promise<string> {
  const path = join(host.dir, name);
  await writeCatalogFile(path, host.catalogInput);
  return path;
}

/** Starts `switchboard serve` (state in `<host>/state`, with `extraArgs` such as `--no-watch`); resolves when it answers /health. */
export async function startServe(host: SimHost, configPath: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const serve = spawnServe(host, configPath, extraArgs);
  const { child } = serve;
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited: ${serve.output()}`);
      return request(`${serve.url}/health`).then(
        (r) => r.body.dump().then(() => r.statusCode === 200),
        () => false,
      );
    },
    'serve to answer /health',
    30_000,
  );
  return serve;
}

/** Spawns `switchboard serve` as startServe does, without waiting for it to answer (a test of its start). */
export function spawnServe(host: SimHost, configPath: string, extraArgs: string[] = []): ServeProcess {
  const stateDir = join(host.dir, 'state');
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--config', configPath, '--state-dir', stateDir, ...extraArgs], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${host.catalog.router.port}`;
  const auth = async () => ({ authorization: `Bearer ${(await readFile(join(stateDir, 'admin-token'), 'utf8')).trim()}` });
  return {
    child,
    url,
    output: () => output,
    exited,
    async state() {
      const res = await request(`${url}/api/state`, { headers: await auth() });
      return (await res.body.json()) as EngineState;
    },
    async post(path, body = {}) {
      const res = await request(`${url}${path}`, { method: 'POST', headers: { ...(await auth()), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : null };
    },
  };
}

/** SIGKILLs a serve child's whole group (the engine; its SGLang servers run in groups of their own). */
export async function killServe(serve: ServeProcess): Promise<void> {
  if (serve.child.pid && listGroupMembers(serve.child.pid).length > 0) process.kill(-serve.child.pid, 'SIGKILL');
  await serve.exited;
}

/** Launch pids (simulator main processes) whose process group still has live members. */
export async function liveLaunches(host: SimHost): Promise<number[]> {
  return (await host.launches()).map((l) => l.pid).filter((pid) => listGroupMembers(pid).length > 0);
}

/** Last-resort cleanup: SIGKILL every simulator group the host launched. */
export async function killLaunches(host: SimHost): Promise<void> {
  for (const pid of await liveLaunches(host)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await waitFor(async () => (await liveLaunches(host)).length === 0, 'the simulator groups to end', 10_000);
}
