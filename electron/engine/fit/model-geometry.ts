// What the fit estimate needs from a Hugging Face `config.json` (and a ModelOpt `hf_quant_config.json`).
// Pure: the caller reads the files (see read-model-folder.ts).

/** The attention and weight shape of a model, as SGLang's ModelConfig derives it from config.json. */
export interface ModelGeometry {
  layers: number;
  attentionHeads: number;
  kvHeads: number;
  /** `head_dim` when the config gives it, else hidden_size / num_attention_heads (SGLang ModelConfig.head_dim). */
  headDim: number;
  /** MLA (DeepSeek V2/V3): one compressed latent of kv_lora_rank + qk_rope_head_dim per layer per token. */
  mla: { kvLoraRank: number; qkRopeHeadDim: number } | null;
  /** `torch_dtype` (or `dtype`) of the checkpoint, e.g. "bfloat16"; null when absent. */
  checkpointDtype: string | null;
  /** `quantization_config.quant_method`, or "modelopt_fp8" from hf_quant_config.json; null when unquantized. */
  quantMethod: string | null;
  /** Bits per quantized linear weight (fp8: 8, awq/gptq: `bits`, usually 4); null when unquantized. */
  quantBits: number | null;
  /** The KV cache dtype a checkpoint declares (ModelOpt `kv_cache_quant_algo: FP8`); null when it declares none. */
  declaredKvDtype: 'fp8_e4m3' | null;
  /** Parameters counted from the shapes: all of them, and those of the embedding and LM head (kept 16-bit when quantized). */
  paramCount: number;
  embeddingParamCount: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(config: Json, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = config[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

function need(config: Json, ...keys: string[]): number {
  const value = num(config, ...keys);
  if (value === undefined) throw new Error(`config.json has no ${keys.join(' or ')}`);
  return value;
}

/**
 * Reads the geometry from a parsed config.json (multimodal configs: their `text_config`).
 * Throws an Error naming the missing field when the file does not describe a decoder.
 */
export function geometryFromConfig(parsed: unknown, hfQuantConfig?: unknown): ModelGeometry {
  if (!isObject(parsed)) throw new Error('config.json is not a JSON object');
  const config = isObject(parsed.text_config) && num(parsed, 'num_hidden_layers') === undefined ? { ...parsed, ...parsed.text_config } : parsed;
  const layers = need(config, 'num_hidden_layers', 'n_layer', 'num_layers');
  const hidden = need(config, 'hidden_size', 'n_embd', 'd_model');
  const attentionHeads = need(config, 'num_attention_heads', 'n_head');
  const kvHeads = num(config, 'num_key_value_heads', 'multi_query_group_num') ?? attentionHeads;
  const headDim = num(config, 'head_dim') ?? Math.floor(hidden / attentionHeads);
  const kvLoraRank = num(config, 'kv_lora_rank');
  const qkRope = num(config, 'qk_rope_head_dim');
  const mla = kvLoraRank !== undefined && qkRope !== undefined ? { kvLoraRank, qkRopeHeadDim: qkRope } : null;
  const dtype = typeof config.torch_dtype === 'string' ? config.torch_dtype : typeof config.dtype === 'string' ? config.dtype : null;
  const { quantMethod, quantBits, declaredKvDtype } = quantOf(config, hfQuantConfig);
  const { total, embedding } = countParams(config, { layers, hidden, attentionHeads, kvHeads, headDim });
  return { layers, attentionHeads, kvHeads, headDim, mla, checkpointDtype: dtype, quantMethod, quantBits, declaredKvDtype, paramCount: total, embeddingParamCount: embedding };
}

function quantOf(config: Json, hfQuant: unknown): Pick<ModelGeometry, 'quantMethod' | 'quantBits' | 'declaredKvDtype'> {
  const q = config.quantization_config;
  if (isObject(q)) {
    const method = typeof q.quant_method === 'string' ? q.quant_method.toLowerCase() : 'unknown';
    const bits = num(q, 'bits', 'w_bit') ?? (method.includes('fp8') ? 8 : method.includes('int8') || method === 'w8a8' ? 8 : 4);
    return { quantMethod: method, quantBits: bits, declaredKvDtype: null };
  }
  if (isObject(hfQuant) && isObject(hfQuant.quantization)) {
    const algo = String(hfQuant.quantization.quant_algo ?? '').toUpperCase();
    const kv = String(hfQuant.quantization.kv_cache_quant_algo ?? '').toUpperCase();
    return { quantMethod: `modelopt_${algo.toLowerCase()}`, quantBits: algo.includes('FP4') ? 4 : 8, declaredKvDtype: kv === 'FP8' ? 'fp8_e4m3' : null };
  }
  return { quantMethod: null, quantBits: null, declaredKvDtype: null };
}

interface Shape {
  layers: number;
  hidden: number;
  attentionHeads: number;
  kvHeads: number;
  headDim: number;
}

/** Parameter count from the shapes (decoder-only, gated MLP; MoE experts and MLA projections counted). Norms and biases are noise and left out. */
function countParams(config: Json, s: Shape): { total: number; embedding: number } {
  const vocab = num(config, 'vocab_size') ?? 0;
  const tied = config.tie_word_embeddings === true;
  const embedding = vocab * s.hidden * (tied ? 1 : 2);
  const attention = attentionParams(config, s);
  const intermediate = num(config, 'intermediate_size', 'ffn_dim') ?? 4 * s.hidden;
  const dense = 3 * s.hidden * intermediate;
  const experts = num(config, 'n_routed_experts', 'num_local_experts', 'num_experts') ?? 0;
  let mlpTotal = dense * s.layers;
  if (experts > 0) {
    const moeInter = num(config, 'moe_intermediate_size') ?? intermediate;
    const shared = (num(config, 'n_shared_experts') ?? 0) * 3 * s.hidden * moeInter + (num(config, 'shared_expert_intermediate_size') ?? 0) * 3 * s.hidden;
    const moeLayer = experts * 3 * s.hidden * moeInter + shared + experts * s.hidden;
    const denseLayers = Math.min(s.layers, num(config, 'first_k_dense_replace') ?? 0);
    mlpTotal = denseLayers * dense + (s.layers - denseLayers) * moeLayer;
  }
  return { total: embedding + attention * s.layers + mlpTotal, embedding };
}

function attentionParams(config: Json, s: Shape): number {
  const kvLora = num(config, 'kv_lora_rank');
  if (kvLora !== undefined) {
    const rope = num(config, 'qk_rope_head_dim') ?? 0;
    const nope = num(config, 'qk_nope_head_dim') ?? 0;
    const v = num(config, 'v_head_dim') ?? nope;
    const qLora = num(config, 'q_lora_rank');
    const qHead = s.attentionHeads * (nope + rope);
    const q = qLora !== undefined ? s.hidden * qLora + qLora * qHead : s.hidden * qHead;
    return q + s.hidden * (kvLora + rope) + kvLora * s.attentionHeads * (nope + v) + s.attentionHeads * v * s.hidden;
  }
  return s.hidden * s.attentionHeads * s.headDim * 2 + s.hidden * s.kvHeads * s.headDim * 2;
}
