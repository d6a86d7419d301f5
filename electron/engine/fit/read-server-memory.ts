/**
 * The memory figures a ready SGLang server reports about itself in `GET /server_info` (`/get_server_info`
 * before 0.5.6): `max_total_num_tokens` at the top level, and per data-parallel rank in
 * `internal_states[i].memory_usage` = `{ weight, kvcache, token_capacity, graph }` (GiB rounded to two
 * places, as `Scheduler.get_internal_state` in python/sglang/srt/managers/scheduler.py builds them from
 * `model_runner.weight_load_mem_usage` — the `mem usage=` of `Load weight end` — the KV pool's
 * `mem_usage` and `max_total_num_tokens`). Rank 0's are read, like the log's.
 */
export interface ServerMemory {
  weightsGib: number | null;
  kvPoolGib: number | null;
  kvTokens: number | null;
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Null when the body is not JSON, or holds none of the figures (an older release, another server). */
export function readServerMemory(body: string): ServerMemory | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const info = parsed as { max_total_num_tokens?: unknown; internal_states?: unknown };
  const states = Array.isArray(info.internal_states) ? (info.internal_states as unknown[]) : [];
  const first = states[0];
  const usage = typeof first === 'object' && first !== null ? (first as { memory_usage?: unknown }).memory_usage : undefined;
  const memory = typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : {};
  const figures: ServerMemory = {
    weightsGib: finiteNumber(memory.weight),
    kvPoolGib: finiteNumber(memory.kvcache),
    kvTokens: finiteNumber(memory.token_capacity) ?? finiteNumber(info.max_total_num_tokens),
  };
  return figures.weightsGib === null && figures.kvPoolGib === null && figures.kvTokens === null ? null : figures;
}
