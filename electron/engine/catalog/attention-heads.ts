/** The parts of a Hugging Face `config.json` that decide which TP sizes can work. */
export interface ModelShape {
  heads: number;
  kvHeads: number;
  maxPositions?: number;
}

// Multimodal configs keep the language model's numbers in a nested block.
const NESTED_BLOCKS = ['text_config', 'llm_config', 'language_config'];

/** Reads heads, KV heads (default = heads) and max positions from a parsed config.json. */
export function modelShapeOf(config: unknown): ModelShape | undefined {
  for (const block of [config, ...NESTED_BLOCKS.map((k) => field(config, k))]) {
    const heads = field(block, 'num_attention_heads');
    if (!isCount(heads)) continue;
    const kv = field(block, 'num_key_value_heads');
    const maxPositions = field(block, 'max_position_embeddings');
    return { heads, kvHeads: isCount(kv) ? kv : heads, ...(isCount(maxPositions) ? { maxPositions } : {}) };
  }
  return undefined;
}

/**
 * Why `tp` cannot shard this model, or undefined when it can. SGLang asserts heads % tp == 0;
 * KV heads must divide evenly too, except that with fewer KV heads than tp it replicates them,
 * which needs tp % kvHeads == 0 (llama.py's check).
 */
export function tpShardingProblem(tp: number, shape: ModelShape): string | undefined {
  if (shape.heads % tp !== 0) return `tp ${tp} does not divide num_attention_heads (${shape.heads})`;
  const kv = shape.kvHeads;
  if (kv >= tp ? kv % tp !== 0 : tp % kv !== 0) return `tp ${tp} does not divide num_key_value_heads (${kv})`;
  return undefined;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}
