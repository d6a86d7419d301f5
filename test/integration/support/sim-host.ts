import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../fakes/sglang-sim/sim-harness.js';
import { catalogSchema, type Catalog, type CatalogInput } from '../../../shared/catalog-schema.js';

/** The SGLang simulator executable. */
export const SIM_BIN = fileURLToPath(new URL('../../fakes/bin/sglang-sim.js', import.meta.url));
export { freePort };

/** The switchboard CLI. */
export const CLI_BIN = fileURLToPath(new URL('../../../bin/switchboard.js', import.meta.url));

export interface SimModelSpec {
  id: string;
  heads?: number;
  kvHeads?: number;
  shards?: number;
  tp?: number;
  gpus?: number[];
  torchCompile?: boolean;
  env?: Record<string, string>;
  aliases?: string[];
  extraArgs?: string[];
}

/** A temporary simulated host: model folders, a launch log and a catalog using the simulator. */
export interface SimHost {
  dir: string;
  launchLog: string;
  catalog: Catalog;
  catalogInput: CatalogInput;
  /** Launches recorded by the simulator, oldest first. */
  launches(): Promise<{ pid: number; argv: string[]; atMs: number }[]>;
  cleanup(): Promise<void>;
}

export interface SimHostOptions {
  timeScale?: number;
  routerPort?: number;
  readyTimeoutS?: number;
  /** Where the host's folder goes (default the OS temp folder; systemd sandbox tests need one the sandbox sees too). */
  baseDir?: string;
}

export async function createSimHost(models: SimModelSpec[], opts: SimHostOptions = {}): Promise<SimHost> {
  const dir = await mkdtemp(join(opts.baseDir ?? tmpdir(), 'switchboard-test-'));
  const launchLog = join(dir, 'launches.jsonl');
  for (const m of models) await writeModelDir(join(dir, 'models', m.id), m);
  const catalogInput: CatalogInput = {
    router: { host: '127.0.0.1', port: opts.routerPort ?? (await freePort()) },
    backend: { kind: 'process', host: '127.0.0.1', port: await freePort(), readyTimeoutS: opts.readyTimeoutS ?? 60, stopTimeoutS: 10 },
    sglang: {
      command: [process.execPath, SIM_BIN],
      env: { SGLANG_SIM_TIME_SCALE: String(opts.timeScale ?? 0.01), SGLANG_SIM_LAUNCH_LOG: launchLog, SGLANG_SIM_TOKENS_PER_S: '0' },
    },
    models: models.map((m) => ({
      id: m.id,
      modelPath: join(dir, 'models', m.id),
      tp: m.tp ?? 1,
      torchCompile: m.torchCompile ?? false,
      ...(m.gpus ? { gpus: m.gpus } : {}),
      ...(m.aliases ? { aliases: m.aliases } : {}),
      ...(m.env ? { env: m.env } : {}),
      ...(m.extraArgs ? { extraArgs: m.extraArgs } : {}),
    })),
  };
  return {
    dir,
    launchLog,
    catalogInput,
    catalog: catalogSchema.parse(catalogInput),
    async launches() {
      const text = await readFile(launchLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function writeModelDir(path: string, m: SimModelSpec): Promise<void> {
  await mkdir(path, { recursive: true });
  const config = { architectures: ['LlamaForCausalLM'], num_attention_heads: m.heads ?? 32, num_key_value_heads: m.kvHeads ?? 8, num_hidden_layers: 32, torch_dtype: 'bfloat16' };
  await writeFile(join(path, 'config.json'), JSON.stringify(config));
  for (let i = 1; i <= (m.shards ?? 2); i++) await writeFile(join(path, `model-${i}.safetensors`), '');
}

/** Polls `check` until it returns a truthy value (observable state, not a fixed sleep). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
