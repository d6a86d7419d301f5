// Reads what SGLang reads from a local model folder: config.json (HF config), the
// *.safetensors shards, generation_config.json and the tokenizer's chat template.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelDir {
  path: string;
  architecture: string;
  numHeads: number;
  numKvHeads: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  vocabSize: number;
  headDim: number;
  tieEmbeddings: boolean;
  numExperts: number;
  moeIntermediateSize: number;
  /** MLA models (DeepSeek-V2/V3) store one compressed KV per token. */
  mlaKvDim: number | undefined;
  torchDtype: string;
  quantMethod: string | undefined;
  derivedContextLen: number;
  shardCount: number;
  shardBytes: number;
  /** Ordered [key, value] pairs for `Using default chat sampling params ...`; empty = no line. */
  samplingDefaults: Array<[string, number]>;
  hasChatTemplate: boolean;
}

export type ModelDirProblem = 'not-found' | 'no-config' | 'bad-json';

export class ModelDirError extends Error {
  constructor(
    readonly problem: ModelDirProblem,
    readonly modelPath: string,
  ) {
    super(`${problem}: ${modelPath}`);
  }
}

type Json = Record<string, unknown>;

function num(config: Json, key: string): number | undefined {
  const value = config[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function readJson(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** SGLang's get_context_length: first known key, times the rope scaling factor where it applies. */
function deriveContextLen(config: Json): number {
  const rope = config.rope_scaling as Json | null | undefined;
  let factor = 1;
  if (rope && typeof rope === 'object') {
    factor = num(rope, 'factor') ?? 1;
    if ('original_max_position_embeddings' in rope || rope.rope_type === 'llama3') factor = 1;
  }
  for (const key of ['max_sequence_length', 'seq_length', 'max_seq_len', 'model_max_length', 'max_position_embeddings']) {
    const value = num(config, key);
    if (value !== undefined) return Math.trunc(factor * value);
  }
  return 2048;
}

function readSamplingDefaults(dir: string): Array<[string, number]> {
  const generation = readJson(join(dir, 'generation_config.json'));
  if (!generation) return [];
  const keys = ['repetition_penalty', 'temperature', 'top_k', 'top_p', 'min_p'];
  if (!keys.some((key) => num(generation, key) !== undefined)) return [];
  const fallback: Record<string, number> = { repetition_penalty: 1.0, temperature: 1.0, top_k: 50, top_p: 1.0 };
  const out: Array<[string, number]> = [];
  for (const key of keys) {
    const value = num(generation, key) ?? fallback[key];
    if (value !== undefined) out.push([key, value]);
  }
  return out;
}

function readShards(dir: string): { count: number; bytes: number } {
  const files = readdirSync(dir).filter((name) => name.endsWith('.safetensors'));
  const bytes = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  return { count: Math.max(1, files.length), bytes };
}

/** Throws ModelDirError when SGLang's HF config loading would fail. */
export function readModelDir(modelPath: string): ModelDir {
  if (!existsSync(modelPath) || !statSync(modelPath).isDirectory()) throw new ModelDirError('not-found', modelPath);
  const configPath = join(modelPath, 'config.json');
  if (!existsSync(configPath)) throw new ModelDirError('no-config', modelPath);
  const config = readJson(configPath);
  if (!config) throw new ModelDirError('bad-json', modelPath);
  const text = (config.text_config as Json | undefined) ?? config;
  const numHeads = num(text, 'num_attention_heads') ?? 32;
  const hiddenSize = num(text, 'hidden_size') ?? 4096;
  const quant = config.quantization_config as Json | undefined;
  const kvLoraRank = num(text, 'kv_lora_rank');
  const tokenizerConfig = readJson(join(modelPath, 'tokenizer_config.json'));
  const shards = readShards(modelPath);
  return {
    path: modelPath,
    architecture: (Array.isArray(config.architectures) && typeof config.architectures[0] === 'string' && config.architectures[0]) || 'LlamaForCausalLM',
    numHeads,
    numKvHeads: num(text, 'num_key_value_heads') ?? numHeads,
    hiddenSize,
    intermediateSize: num(text, 'intermediate_size') ?? hiddenSize * 3.5,
    numLayers: num(text, 'num_hidden_layers') ?? 32,
    vocabSize: num(text, 'vocab_size') ?? 128256,
    headDim: num(text, 'head_dim') ?? hiddenSize / numHeads,
    tieEmbeddings: text.tie_word_embeddings === true,
    numExperts: num(text, 'num_local_experts') ?? num(text, 'num_experts') ?? num(text, 'n_routed_experts') ?? 0,
    moeIntermediateSize: num(text, 'moe_intermediate_size') ?? num(text, 'intermediate_size') ?? hiddenSize * 3.5,
    mlaKvDim: kvLoraRank === undefined ? undefined : kvLoraRank + (num(text, 'qk_rope_head_dim') ?? 64),
    torchDtype: typeof config.torch_dtype === 'string' ? config.torch_dtype : typeof config.dtype === 'string' ? config.dtype : 'bfloat16',
    quantMethod: quant && typeof quant.quant_method === 'string' ? quant.quant_method : undefined,
    derivedContextLen: deriveContextLen(text),
    shardCount: shards.count,
    shardBytes: shards.bytes,
    samplingDefaults: readSamplingDefaults(modelPath),
    hasChatTemplate: typeof tokenizerConfig?.chat_template === 'string' || existsSync(join(modelPath, 'chat_template.jinja')),
  };
}
