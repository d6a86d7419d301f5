// Test helpers: spawn the simulator as a real process in its own group, watch its output,
// and check that nothing of the group survives.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePort } from '../../support/free-port.js';

export const SIM_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'sglang-sim.js');

export interface ModelDirOptions {
  heads?: number;
  kvHeads?: number;
  shards?: number;
  quantMethod?: string;
  extra?: Record<string, unknown>;
}

const tempDirs: string[] = [];

/** A temporary folder removed by removeTempDirs(). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A small Llama-like model folder: config.json plus empty *.safetensors shards. */
export function makeModelDir(options: ModelDirOptions = {}): string {
  const dir = makeTempDir('sglang-sim-model-');
  const config: Record<string, unknown> = {
    architectures: ['LlamaForCausalLM'],
    num_attention_heads: options.heads ?? 32,
    num_key_value_heads: options.kvHeads ?? 8,
    hidden_size: 2048,
    intermediate_size: 8192,
    num_hidden_layers: 16,
    vocab_size: 128256,
    torch_dtype: 'bfloat16',
    max_position_embeddings: 8192,
    ...options.extra,
  };
  if (options.quantMethod) config.quantization_config = { quant_method: options.quantMethod, bits: 4 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const shards = options.shards ?? 2;
  for (let index = 1; index <= shards; index += 1) {
    writeFileSync(join(dir, `model-${String(index).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`), '');
  }
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class SimProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => this.append('stdout', text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => this.append('stderr', text));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.notify());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private append(stream: 'stdout' | 'stderr', text: string): void {
    this[stream] += text;
    this.notify();
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when `pattern` appears in the stream; rejects on timeout or exit without it. */
  async waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr', timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (exited || Date.now() > deadline) {
        throw new Error(`${pattern} not found in ${stream} (exited=${exited}):\n${this.stderr.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }
}

export function startSim(args: readonly string[], env: Record<string, string> = {}): SimProcess {
  const child = spawn(process.execPath, [SIM_BIN, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SGLANG_SIM_TIME_SCALE: '0.01', SGLANG_SIM_TOKENS_PER_S: '0', ...env },
  });
  return new SimProcess(child);
}

/** Live (non-zombie) processes whose process group is `pgid`. */
export function liveGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // process vanished while reading
    }
  }
  return pids;
}

/** Live members of process group `pgid` whose title (argv[0]) is `title`, e.g. `sglang::scheduler_TP0`. */
export function groupMembersTitled(pgid: number, title: string): number[] {
  return liveGroupMembers(pgid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.trim() === title;
    } catch {
      return false;
    }
  });
}

export async function waitForEmptyGroup(pgid: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let members = liveGroupMembers(pgid);
  while (members.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    members = liveGroupMembers(pgid);
  }
  return members;
}

/** GET with a short timeout; 0 = connection refused/failed. */
export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export async function waitForStatus(url: string, expected: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    last = await httpStatus(url);
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer ${expected} (last ${last})`);
}

/** Reads an SSE body into its `data:` payloads (raw strings). */
export async function readSse(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

/** The JSON body, loosely typed for assertions. */
export async function readJson(res: Response): Promise<any> {
  return res.json();
}
