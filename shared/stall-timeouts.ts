// No zod here: the renderer imports this file, and zod's eval probe trips the UI's CSP (catalog-schema.ts has the schema).
import type { LoadPhase } from './load-phase.js';

/** The phases a load can stall in (not 'stopping', not 'ready'). */
export const STALL_PHASES = ['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'torch_compile', 'warmup'] as const;
export type StallPhase = (typeof STALL_PHASES)[number];

/**
 * Seconds a load may show no progress (no new log line, no phase or percent change) in each phase
 * before it is called stuck. Generous where SGLang is silent for long on a healthy host: a cold
 * `import sglang`, an NCCL rendezvous, one shard from a slow disk, and above all torch.compile,
 * which prints nothing while it compiles a batch size (many minutes for a big model). `warmup` is
 * the time from the port opening to /health 200 (SGLang's own warmup request allows 600 s).
 */
export const DEFAULT_STALL_TIMEOUTS_S: Record<StallPhase, number> = {
  launching: 300,
  initializing: 600,
  weights: 600,
  kv_cache: 300,
  cuda_graphs: 600,
  torch_compile: 1800,
  warmup: 600,
};

/** `stallTimeoutS`: one number for every phase, or some phases by name (the others keep their defaults). */
export type StallTimeoutSetting = number | Partial<Record<StallPhase, number>>;

/** The limit for a phase: the model's setting, else the backend's, else the default. Null for phases that cannot stall. */
export function stallLimitMs(phase: LoadPhase, ...settings: (StallTimeoutSetting | undefined)[]): number | null {
  if (!(STALL_PHASES as readonly string[]).includes(phase)) return null;
  const p = phase as StallPhase;
  for (const setting of settings) {
    if (setting === undefined) continue;
    if (typeof setting === 'number') return setting * 1000;
    const value = setting[p];
    if (value !== undefined) return value * 1000;
  }
  return DEFAULT_STALL_TIMEOUTS_S[p] * 1000;
}

/** When "no progress for N s" is shown: a quarter of the limit, at least 15 s (or half a shorter limit), at most 2 min. */
export function stallWarnAfterMs(limitMs: number): number {
  return Math.min(120_000, Math.max(Math.min(15_000, limitMs / 2), limitMs / 4));
}

/**
 * "no progress for 45 s (stopped as stuck after 600 s)" once a loading slot has shown nothing for
 * its warning time; null before that (or without stall information).
 */
export function describeStall(stall: { lastProgressAtMs: number; warnAfterMs: number; limitMs: number } | undefined, nowMs: number): string | null {
  if (!stall) return null;
  const idleMs = nowMs - stall.lastProgressAtMs;
  if (idleMs < stall.warnAfterMs) return null;
  return `no progress for ${Math.round(idleMs / 1000)} s (stopped as stuck after ${Math.round(stall.limitMs / 1000)} s)`;
}
