// One `switchboard serve` process (the router) over the SGLang simulator, each in its own process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogInput } from '../../shared/catalog-schema.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { isGroupAlive, signalGroup, waitGroupGone } from '../../electron/system/process-group.js';
import { findNginx, startNginx, type NginxProxy } from './nginx-proxy.js';
import { freePort } from '../../test/support/free-port.js';

export { freePort };

/** The CLI that runs serve (BENCH_CLI_BIN: another build of it, to compare). */
const CLI_BIN = process.env.BENCH_CLI_BIN ?? fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const SIM_BIN = fileURLToPath(new URL('../../test/fakes/bin/sglang-sim.js', import.meta.url));
export const MODEL_ID = 'bench-llama';

export interface BenchHost {
  routerUrl: string;
  /** The simulator's own port: the same backend the router forwards to. */
  directUrl: string;
  routerPid: number;
  simPid: number;
  /** A minimal pass-through proxy to the same simulator: the cost of any extra Node process. */
  floorUrl: string;
  floorPid: number;
  /** apt's nginx in front of the same simulator; null when nginx is not installed (see nginxSkipped). */
  nginx: NginxProxy | null;
  /** Why there is no nginx side, e.g. "nginx not installed". */
  nginxSkipped: string | null;
  stop(): Promise<void>;
}

/** Process groups started by this process; SIGKILLed synchronously if it exits without stopping them. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) killGroupQuietly(pgid);
});

export async function startBenchHost(tokensPerS: number): Promise<BenchHost> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const configPath = join(dir, 'catalog.yaml');
  await writeModelDir(join(dir, 'model'));
  const input = await catalogInput(dir, tokensPerS);
  await writeCatalogFile(configPath, input);
  const logPath = join(dir, 'serve.log');
  const child = spawnServe(configPath, dir, logPath);
  const routerPid = child.pid!;
  liveGroups.add(routerPid);
  let simPid = 0;
  let floor: ChildProcess | undefined;
  let nginx: NginxProxy | null = null;
  const stop = async (): Promise<void> => {
    if (nginx) {
      await nginx.stop();
      liveGroups.delete(nginx.pgid);
    }
    if (floor?.pid) {
      killGroupQuietly(floor.pid);
      await waitGroupGone(floor.pid, 5_000);
      liveGroups.delete(floor.pid);
    }
    await stopGroups(child, routerPid, simPid);
    liveGroups.delete(routerPid);
    liveGroups.delete(simPid);
    if (!process.env.BENCH_KEEP_TMP) await rm(dir, { recursive: true, force: true });
  };
  try {
    const routerUrl = `http://127.0.0.1:${input.router!.port}`;
    await waitForHealth(routerUrl, child, logPath);
    await warmModel(routerUrl);
    const slot = await slotOf(routerUrl, dir);
    simPid = slot.pid;
    liveGroups.add(simPid);
    const directUrl = `http://127.0.0.1:${slot.port}`;
    const floorPort = await freePort();
    floor = await startFloorProxy(floorPort, directUrl);
    liveGroups.add(floor.pid!);
    const nginxBinary = findNginx();
    if (nginxBinary) {
      nginx = await startNginx(nginxBinary, join(dir, 'nginx'), await freePort(), directUrl);
      liveGroups.add(nginx.pgid);
    }
    const nginxSkipped = nginxBinary ? null : 'nginx not installed (apt-get install -y nginx-light, or set BENCH_NGINX)';
    return { routerUrl, directUrl, floorUrl: `http://127.0.0.1:${floorPort}`, floorPid: floor.pid!, nginx, nginxSkipped, routerPid, simPid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function catalogInput(dir: string, tokensPerS: number): Promise<CatalogInput> {
  return {
    router: { host: '127.0.0.1', port: await freePort(), loadingMessages: 'none' },
    backend: { kind: 'process', host: '127.0.0.1', port: await freePort(), readyTimeoutS: 60, stopTimeoutS: 10, drainTimeoutS: 5 },
    sglang: {
      command: [process.execPath, SIM_BIN],
      env: { SGLANG_SIM_TIME_SCALE: '0.01', SGLANG_SIM_TOKENS_PER_S: String(tokensPerS) },
    },
    // BENCH_SIM_ARGS: extra simulator flags, e.g. "--log-level warning" to see what log ingestion costs.
    models: [{ id: MODEL_ID, modelPath: join(dir, 'model'), tp: 1, extraArgs: (process.env.BENCH_SIM_ARGS ?? '').split(' ').filter(Boolean) }],
  };
}

async function writeModelDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  const config = { architectures: ['LlamaForCausalLM'], num_attention_heads: 32, num_key_value_heads: 8, num_hidden_layers: 32, torch_dtype: 'bfloat16' };
  await writeFile(join(path, 'config.json'), JSON.stringify(config));
  for (let i = 1; i <= 2; i++) await writeFile(join(path, `model-0000${i}-of-00002.safetensors`), '');
}

/** `node --max-semi-space-size=4 [BENCH_ROUTER_NODE_FLAGS] bin/switchboard.js serve`, detached (own group), output to a log file. */
function spawnServe(configPath: string, stateDir: string, logPath: string): ChildProcess {
  // As bin/switchboard.js's shebang and `npm run serve` start it.
  const flags = ['--max-semi-space-size=4', ...(process.env.BENCH_ROUTER_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const log = openSync(logPath, 'a');
  try {
    return spawn(process.execPath, [...flags, CLI_BIN, 'serve', '--config', configPath, '--state-dir', stateDir], {
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
}

async function waitForHealth(url: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited early:\n${tail(logPath)}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`serve not healthy after 30 s:\n${tail(logPath)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A non-streaming request waits for the load, so the model is ready (and the upstream pool warm) after it. */
async function warmModel(url: string): Promise<void> {
  const body = { model: MODEL_ID, messages: [{ role: 'user', content: 'warm up' }], max_tokens: 2 };
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`warm-up request failed: ${res.status} ${await res.text()}`);
  await res.text();
}

async function slotOf(url: string, stateDir: string): Promise<{ pid: number; port: number }> {
  // serve's admin token: the admin API wants it, and this process runs as serve's user.
  const adminToken = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
  const state = (await (await fetch(`${url}/api/state`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { slots: { status: string; pid?: number; port: number }[] };
  const slot = state.slots[0];
  if (!slot || slot.status !== 'ready' || !slot.pid) throw new Error(`backend not ready: ${JSON.stringify(slot)}`);
  return { pid: slot.pid, port: slot.port };
}

/** Starts bench/lib/min-proxy.mjs in its own process group; resolves once it listens. */
function startFloorProxy(port: number, upstream: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./min-proxy.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, String(port), upstream], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the floor proxy exited (${code})`)));
    child.stdout!.once('data', () => resolve(child));
  });
}

/** SIGTERM to serve's group (it stops the simulator itself), then SIGKILL whatever of both groups is left. */
async function stopGroups(child: ChildProcess, routerPid: number, simPid: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(routerPid, 'SIGTERM');
    await waitGroupGone(routerPid, 15_000);
  }
  for (const pgid of [routerPid, simPid]) {
    if (pgid > 0 && isGroupAlive(pgid)) {
      killGroupQuietly(pgid);
      await waitGroupGone(pgid, 5_000);
    }
  }
}

function killGroupQuietly(pgid: number): void {
  try {
    if (pgid > 0) process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}
