import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { CATALOG_SCHEMA_FILE } from './catalog-json-schema.js';
import { serializeCatalog } from './serialize-catalog.js';
import { writeCatalogFile } from './write-catalog.js';

/**
 * out/node of the nearest folder above this module with a package.json: the same from the sources
 * (electron/cli/) and from the bundle (out/node/switchboard.js), so the demo runs from any directory.
 */
function compiledDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'out', 'node');
}

/** The catalog's JSON Schema the build writes beside the compiled CLI (scripts/build-node.mjs). */
export const CATALOG_SCHEMA_PATH = join(compiledDir(), CATALOG_SCHEMA_FILE);
/** The compiled SGLang simulator (scripts/build-node.mjs), run by this process's own runtime. */
export const SIMULATOR_BIN = join(compiledDir(), 'sglang-sim.js');
/**
 * The compiled fake nvidia-smi (six RTX 3090, two NVLink pairs, built from real captures), executable
 * where `node` is on the PATH. The demo's catalog runs it through a launcher of its own (below).
 */
export const FAKE_NVIDIA_SMI_BIN = join(compiledDir(), 'nvidia-smi.js');

export interface DemoHostOptions {
  dir: string;
  routerPort: number;
  backendPort: number;
  /** SGLANG_SIM_TIME_SCALE: 1 = realistic minutes, 0.15 = tens of seconds. */
  timeScale: number;
}

interface DemoModel {
  dir: string;
  shards: number;
  config: Record<string, unknown>;
}

/** Checkpoints the simulator reads: config.json (heads for the TP check) and empty shard files. */
const DEMO_MODELS: DemoModel[] = [
  {
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
    dir: 'Mistral-Large-Instruct-2411-AWQ',
    shards: 9,
    config: {
      architectures: ['MistralForCausalLM'],
      num_attention_heads: 96,
      num_key_value_heads: 8,
      num_hidden_layers: 88,
      hidden_size: 12288,
      intermediate_size: 28672,
      vocab_size: 32768,
      head_dim: 128,
      torch_dtype: 'float16',
      max_position_embeddings: 131072,
      quantization_config: { quant_method: 'awq', bits: 4 },
    },
  },
  {
    dir: 'KAT-Dev-72B-Exp-AWQ-8bit',
    shards: 8,
    config: {
      architectures: ['Qwen2ForCausalLM'],
      num_attention_heads: 64,
      num_key_value_heads: 8,
      num_hidden_layers: 80,
      hidden_size: 8192,
      intermediate_size: 29568,
      vocab_size: 152064,
      torch_dtype: 'bfloat16',
      max_position_embeddings: 131072,
      quantization_config: { quant_method: 'awq', bits: 8 },
    },
  },
  {
    // Qwen2.5-3B's config.json (test/fixtures/model-configs/qwen2.5-3b), the fields the simulator reads.
    dir: 'Qwen2.5-3B-Instruct',
    shards: 2,
    config: {
      architectures: ['Qwen2ForCausalLM'],
      num_attention_heads: 16,
      num_key_value_heads: 2,
      num_hidden_layers: 36,
      hidden_size: 2048,
      intermediate_size: 11008,
      vocab_size: 151936,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      max_position_embeddings: 32768,
    },
  },
];

/** Writes the simulated host (model folders and a catalog) into `dir`; returns the catalog path. */
export async function writeDemoHost(options: DemoHostOptions): Promise<string> {
  const modelsDir = join(options.dir, 'models');
  for (const model of DEMO_MODELS) await writeModelDir(join(modelsDir, model.dir), model);
  const catalog: CatalogInput = {
    router: { host: '127.0.0.1', port: options.routerPort, apiKeys: [], loadingMessages: 'content' },
    backend: { kind: 'process', host: '127.0.0.1', port: options.backendPort, readyTimeoutS: 600, stopTimeoutS: 15 },
    gpu: { nvidiaSmiPath: await writeNvidiaSmiLauncher(join(options.dir, 'bin')), presetsW: [250, 300, 350] },
    sglang: {
      command: [process.execPath, SIMULATOR_BIN],
      // The reference host: six RTX 3090 (24 GiB each).
      env: { SGLANG_SIM_TIME_SCALE: String(options.timeScale), SGLANG_SIM_GPU_COUNT: '6', SGLANG_SIM_GPU_MEM_MIB: '24576', SGLANG_SIM_TOKENS_PER_S: '50' },
    },
    models: [
      {
        id: 'qwen2.5-7b-instruct',
        label: 'Qwen2.5 7B Instruct',
        aliases: ['qwen'],
        modelPath: join(modelsDir, DEMO_MODELS[0]!.dir),
        tp: 1,
        contextLength: 32768,
        memFractionStatic: 0.85,
        gpus: [0],
        sampling: { temperature: 0.7 },
      },
      {
        id: 'mistral-large-2411-awq',
        label: 'Mistral Large 2411 (AWQ)',
        aliases: ['mistral'],
        modelPath: join(modelsDir, DEMO_MODELS[1]!.dir),
        tp: 4,
        contextLength: 24576,
        quantization: 'awq_marlin',
        memFractionStatic: 0.8,
        torchCompile: true,
        gpus: [1, 2, 3, 4],
        extraArgs: ['--sleep-on-idle', '--log-requests', '--torch-compile-max-bs', '8', '--enable-metrics'],
        sampling: { temperature: 0.7 },
        powerLimitW: 300,
      },
      {
        id: 'kat-dev-awq-8bit',
        label: 'KAT-Dev 72B (AWQ 8-bit) — fails with CUDA OOM',
        aliases: ['kat-dev'],
        modelPath: join(modelsDir, DEMO_MODELS[2]!.dir),
        // tp 4: at tp 2 its 8-bit weights (about 34 GiB per GPU) would not fit a 3090 and the fit check
        // would refuse the switch before launch; at tp 4 the estimate says tight, the scripted OOM happens.
        tp: 4,
        contextLength: 65536,
        memFractionStatic: 0.92,
        gpus: [2, 3, 4, 5],
        env: { SGLANG_SIM_FAIL: 'oom-weights' },
      },
      {
        id: 'qwen2.5-3b-instruct',
        label: 'Qwen2.5 3B Instruct (warm)',
        aliases: ['qwen-3b'],
        modelPath: join(modelsDir, DEMO_MODELS[3]!.dir),
        tp: 1,
        contextLength: 32768,
        memFractionStatic: 0.85,
        gpus: [0],
        // Shares GPU 0 with Qwen2.5 7B: switching to the 7B puts it to sleep (about 6 GiB of host RAM for
        // its weights' copy), switching back wakes it in about a second instead of a cold load.
        switchMode: 'warm',
        sampling: { temperature: 0.7 },
      },
    ],
  };
  const configPath = join(options.dir, 'switchboard.yaml');
  // Editors with the YAML language server (VS Code's YAML extension, …) complete and check the file against the schema.
  await writeCatalogFile(configPath, `# yaml-language-server: $schema=${pathToFileURL(CATALOG_SCHEMA_PATH).href}\n${serializeCatalog(catalog)}`);
  return configPath;
}

/**
 * `DIR/nvidia-smi`: runs the fake with this process's runtime — Node, or the desktop package's Electron
 * as Node (no `node` on the PATH there), as the simulator is (`sglang.command`).
 */
async function writeNvidiaSmiLauncher(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'nvidia-smi');
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const asNode = process.versions.electron ? 'ELECTRON_RUN_AS_NODE=1 ' : '';
  await writeFile(path, `#!/bin/sh\n# The demo's nvidia-smi: the fake one (${FAKE_NVIDIA_SMI_BIN}).\n${asNode}exec ${quote(process.execPath)} ${quote(FAKE_NVIDIA_SMI_BIN)} "$@"\n`, { mode: 0o755 });
  return path;
}

async function writeModelDir(dir: string, model: DemoModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`);
  for (let i = 1; i <= model.shards; i++) {
    const name = `model-${String(i).padStart(5, '0')}-of-${String(model.shards).padStart(5, '0')}.safetensors`;
    await writeFile(join(dir, name), '');
  }
}
