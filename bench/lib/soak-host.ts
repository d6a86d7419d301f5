// The soak's simulated host (catalog, model folders, fake nvidia-smi) and the engine it runs as a
// separate `switchboard serve` process in its own process group, plus what /proc says about both.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogInput } from '../../shared/catalog-schema.js';
import type { EngineState, SwapRecord } from '../../shared/engine-state.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { FAKE_NVIDIA_SMI_BIN, SIMULATOR_BIN } from '../../electron/engine/catalog/write-demo-host.js';
export { freePort } from './bench-host.js';
import { listGroupMembers, signalGroup, waitGroupGone } from '../../electron/system/process-group.js';

const CLI_BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/**
 * Three models that all load, all on GPUs 1–2 (one NVLink pair of the fake host), so they share one
 * slot and every switch evicts the model before. tp=2: each simulated server has a main, two
 * scheduler children and a detokenizer, the process tree a kill must take down whole.
 */
export const SOAK_MODELS = [
  {
    id: 'soak-llama-8b',
    alias: 'llama',
    dir: 'Llama-3.1-8B-Instruct',
    shards: 4,
    config: {
      architectures: ['LlamaForCausalLM'],
      num_attention_heads: 32,
      num_key_value_heads: 8,
      num_hidden_layers: 32,
      hidden_size: 4096,
      intermediate_size: 14336,
      vocab_size: 128256,
      torch_dtype: 'bfloat16',
      max_position_embeddings: 131072,
    },
  },
  {
    id: 'soak-qwen-7b',
    alias: 'qwen',
    dir: 'Qwen2.5-7B-Instruct',
    shards: 4,
    config: {
      architectures: ['Qwen2ForCausalLM'],
      num_attention_heads: 28,
      num_key_value_heads: 4,
      num_hidden_layers: 28,
      hidden_size: 3584,
      intermediate_size: 18944,
      vocab_size: 152064,
      torch_dtype: 'bfloat16',
      max_position_embeddings: 32768,
    },
  },
  {
    id: 'soak-mistral-7b',
    alias: 'mistral',
    dir: 'Mistral-7B-Instruct-v0.3',
    shards: 3,
    config: {
      architectures: ['MistralForCausalLM'],
      num_attention_heads: 32,
      num_key_value_heads: 8,
      num_hidden_layers: 32,
      hidden_size: 4096,
      intermediate_size: 14336,
      vocab_size: 32768,
      torch_dtype: 'bfloat16',
      max_position_embeddings: 32768,
    },
  },
] as const;

export interface SoakHostOptions {
  dir: string;
  routerPort: number;
  backendPort: number;
  /** SGLANG_SIM_TIME_SCALE: 0.1 makes a tp=2 load take ≈4–5 s. */
  timeScale: number;
  /** SGLANG_SIM_TOKENS_PER_S. */
  tokensPerS: number;
  /** The catalog's gpu.historyS (GPU samples kept in memory); default the catalog's own (3600). */
  gpuHistoryS?: number;
}

export interface SoakHostFiles {
  configPath: string;
  stateDir: string;
  /** SGLANG_SIM_LAUNCH_LOG: one JSON line per simulator launch ({pid, argv, atMs}). */
  launchLogPath: string;
  logPath: string;
}

/** Writes the model folders and the catalog into `dir`. */
export async function writeSoakHost(options: SoakHostOptions): Promise<SoakHostFiles> {
  const modelsDir = join(options.dir, 'models');
  for (const model of SOAK_MODELS) {
    const dir = join(modelsDir, model.dir);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`);
    for (let i = 1; i <= model.shards; i++) {
      await writeFile(join(dir, `model-${String(i).padStart(5, '0')}-of-${String(model.shards).padStart(5, '0')}.safetensors`), '');
    }
  }
  const launchLogPath = join(options.dir, 'sim-launches.jsonl');
  const catalog: CatalogInput = {
    // 'content': the switch status lines go through the router's loading-message path too.
    router: { host: '127.0.0.1', port: options.routerPort, apiKeys: [], loadingMessages: 'content' },
    backend: { kind: 'process', host: '127.0.0.1', port: options.backendPort, readyTimeoutS: 120, stopTimeoutS: 10, drainTimeoutS: 30 },
    gpu: { nvidiaSmiPath: FAKE_NVIDIA_SMI_BIN, ...(options.gpuHistoryS !== undefined ? { historyS: options.gpuHistoryS } : {}) },
    sglang: {
      command: [process.execPath, SIMULATOR_BIN],
      env: {
        SGLANG_SIM_TIME_SCALE: String(options.timeScale),
        SGLANG_SIM_TOKENS_PER_S: String(options.tokensPerS),
        SGLANG_SIM_GPU_COUNT: '6',
        SGLANG_SIM_GPU_MEM_MIB: '24576',
        SGLANG_SIM_LAUNCH_LOG: launchLogPath,
      },
    },
    models: SOAK_MODELS.map((m) => ({ id: m.id, label: m.dir, aliases: [m.alias], modelPath: join(modelsDir, m.dir), tp: 2, gpus: [1, 2], contextLength: 8192 })),
  };
  const configPath = join(options.dir, 'switchboard.yaml');
  await writeCatalogFile(configPath, catalog);
  return { configPath, stateDir: join(options.dir, 'state'), launchLogPath, logPath: join(options.dir, 'serve.log') };
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `node --max-semi-space-size=4 bin/switchboard.js serve` in its own process group (pgid = pid). */
export class EngineProcess {
  readonly pid: number;
  readonly url: string;
  private adminToken = '';
  private exitInfo: EngineExit | null = null;
  readonly exited: Promise<EngineExit>;

  private constructor(
    private readonly child: ChildProcess,
    port: number,
    private readonly files: SoakHostFiles,
  ) {
    this.pid = child.pid!;
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  static spawn(files: SoakHostFiles, port: number, env: NodeJS.ProcessEnv): EngineProcess {
    const log = openSync(files.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--max-semi-space-size=4', CLI_BIN, 'serve', '--config', files.configPath, '--state-dir', files.stateDir, '--port', String(port)], {
        detached: true,
        stdio: ['ignore', log, log],
        env,
      });
    } finally {
      closeSync(log);
    }
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error('could not spawn switchboard serve');
    return new EngineProcess(child, port, files);
  }

  get exit(): EngineExit | null {
    return this.exitInfo;
  }

  /** Waits for /health 200 and the admin token. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo) throw new Error(`serve exited early (${describeExit(this.exitInfo)}):\n${this.logTail()}`);
      const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`serve not healthy after ${timeoutMs / 1000} s:\n${this.logTail()}`);
      await sleep(100);
    }
    this.adminToken = readFileSync(join(this.files.stateDir, 'admin-token'), 'utf8').trim();
  }

  /** An admin API call with a timeout; throws on non-2xx. */
  async api<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.adminToken}` };
    if (init.method === 'POST') headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.method === 'POST' ? JSON.stringify(init.body ?? {}) : undefined,
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  state(): Promise<EngineState> {
    return this.api<EngineState>('/api/state');
  }

  async swaps(): Promise<SwapRecord[]> {
    return (await this.api<{ swaps: SwapRecord[] }>('/api/swaps?limit=10000')).swaps;
  }

  /** SIGTERM to the group (serve stops its backend itself); true when every member was gone in time. */
  async stopGracefully(timeoutMs: number): Promise<{ exit: EngineExit | null; gone: boolean; ms: number }> {
    const start = Date.now();
    if (!this.exitInfo) signalGroup(this.pid, 'SIGTERM');
    const exit = await Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
    const gone = await waitGroupGone(this.pid, Math.max(1_000, timeoutMs - (Date.now() - start)));
    return { exit, gone, ms: Date.now() - start };
  }

  logTail(chars = 3000): string {
    try {
      return readFileSync(this.files.logPath, 'utf8').slice(-chars);
    } catch {
      return '(no log)';
    }
  }
}

export function describeExit(exit: EngineExit | null): string {
  if (!exit) return 'still running';
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

// --- /proc ---

/** VmRSS of `pid` in MiB; null once it is gone. */
export function vmRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? null : Number(kib) / 1024;
  } catch {
    return null;
  }
}

/** Number of open file descriptors of `pid`; null once it is gone. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** What /proc says about one process; null when it is gone (zombies included, with state 'Z'). */
export function procInfo(pid: number): { pid: number; state: string; ppid: number; pgrp: number; cmdline: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      // raced its exit
    }
    return { pid, state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), cmdline };
  } catch {
    return null;
  }
}

export interface SimLaunch {
  pid: number;
  atMs: number;
  argv: string[];
}

/** The simulator launches so far, from SGLANG_SIM_LAUNCH_LOG. */
export function readLaunchLog(path: string): SimLaunch[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const launches: SimLaunch[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as SimLaunch;
      if (Number.isInteger(parsed.pid)) launches.push(parsed);
    } catch {
      // a torn line: ignore
    }
  }
  return launches;
}

export interface Leftover {
  pid: number;
  pgrp: number;
  state: string;
  why: string;
  cmdline: string;
}

/**
 * Live (non-zombie) processes that should be gone: members of the engine's group, members of
 * every launched simulator's group (its main and `sglang::…` children), and any other process
 * whose command line names the soak's temp dir.
 */
export function findLeftovers(enginePgid: number, launches: SimLaunch[], tmpDir: string): Leftover[] {
  const found = new Map<number, Leftover>();
  const add = (pid: number, why: string) => {
    if (pid === process.pid || found.has(pid)) return;
    const info = procInfo(pid);
    if (!info || info.state === 'Z' || info.state === 'X') return;
    found.set(pid, { pid, pgrp: info.pgrp, state: info.state, why, cmdline: info.cmdline.slice(0, 200) });
  };
  for (const pid of listGroupMembers(enginePgid)) add(pid, "in the engine's process group");
  for (const launch of launches) {
    for (const pid of listGroupMembers(launch.pid)) add(pid, `in the group of simulator ${launch.pid}`);
    const main = procInfo(launch.pid);
    if (main && main.state !== 'Z' && main.cmdline.includes('sglang-sim')) add(launch.pid, 'a launched simulator');
  }
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    // no /proc
  }
  for (const entry of entries) {
    const info = procInfo(Number(entry));
    if (info && info.cmdline.includes(tmpDir)) add(info.pid, 'its command line names the soak dir');
  }
  return [...found.values()];
}

export function killGroupQuietly(pgid: number): void {
  try {
    if (pgid > 1) process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
