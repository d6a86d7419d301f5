// One table cell: the same streams straight to the simulator, through the router, through nginx
// and through a minimal Node pass-through proxy (the floor of any extra Node process), rounds
// alternated so drift lands on every side alike.
import type { Pool } from 'undici';
import { groupCpuMs, rssMiB } from './proc-stats.js';
import { runRound, type RoundResult, type StreamSpec } from './load-generator.js';

/** The sides of a cell: `direct` is the baseline the others are compared with. */
export const SIDES = ['direct', 'router', 'nginx', 'floor'] as const;
export type SideName = (typeof SIDES)[number];
/** The sides in front of the simulator, whose CPU is measured. */
export type ProxySide = Exclude<SideName, 'direct'>;

export interface SideStats {
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  ttftP50Ms: number;
  ttftP99Ms: number;
  chunks: number;
  wallMs: number;
  chunksPerS: number;
  /** CPU (user + system, every process of the side's group) per chunk it passed; absent for direct. */
  cpuUsPerChunk?: number;
}

export interface RouterStats extends SideStats {
  rssMiB: number;
  /** VmHWM: the most the router's RSS has been since it started. */
  peakRssMiB: number;
}

export interface CellResult {
  speed: string;
  tokensPerS: number;
  maxTokens: number;
  concurrency: number;
  rounds: number;
  direct: SideStats;
  router: RouterStats;
  /** apt's nginx with the bench's config; absent when nginx is not installed. */
  nginx?: SideStats;
  /** The minimal pass-through proxy (min-proxy.mjs) to the same backend. */
  floor: SideStats;
}

/** A side to measure: its client pool and, for proxies, the process group whose CPU it costs. */
export interface SideTarget {
  pool: Pool;
  pgid?: number;
}

export type CellTargets = { [S in SideName]: S extends 'nginx' ? SideTarget | undefined : SideTarget } & { routerPid: number };

export interface CellPlan {
  speed: string;
  tokensPerS: number;
  spec: StreamSpec;
  concurrency: number;
  rounds: number;
}

/** Streams used to open connections (client, proxy → upstream) before measuring. */
const WARMUP_TOKENS = 4;

export async function measureCell(targets: CellTargets, plan: CellPlan): Promise<CellResult> {
  const sides = SIDES.filter((side) => targets[side] !== undefined);
  const warmSpec = { ...plan.spec, maxTokens: WARMUP_TOKENS };
  for (const side of sides) await runRound(targets[side]!.pool, warmSpec, plan.concurrency, 1);
  const rounds = new Map<SideName, RoundResult[]>(sides.map((s) => [s, []]));
  const cpu = new Map<SideName, number>(sides.map((s) => [s, 0]));
  for (let r = 0; r < plan.rounds; r++) {
    // Forwards, then backwards: a drift (thermal, page cache, GC) lands on every side alike.
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      const target = targets[side]!;
      const before = target.pgid ? groupCpuMs(target.pgid) : 0;
      rounds.get(side)!.push(await runRound(target.pool, plan.spec, plan.concurrency, 1));
      if (target.pgid) cpu.set(side, cpu.get(side)! + groupCpuMs(target.pgid) - before);
    }
  }
  const stats = (side: SideName): SideStats => withCpu(sideStats(rounds.get(side)!), side === 'direct' ? undefined : cpu.get(side));
  const rss = rssMiB(targets.routerPid);
  return {
    speed: plan.speed,
    tokensPerS: plan.tokensPerS,
    maxTokens: plan.spec.maxTokens,
    concurrency: plan.concurrency,
    rounds: plan.rounds,
    direct: stats('direct'),
    router: { ...stats('router'), rssMiB: rss.current, peakRssMiB: rss.peak },
    ...(targets.nginx ? { nginx: stats('nginx') } : {}),
    floor: stats('floor'),
  };
}

function withCpu(stats: SideStats, cpuMs: number | undefined): SideStats {
  if (cpuMs === undefined) return stats;
  return { ...stats, cpuUsPerChunk: stats.chunks > 0 ? (cpuMs * 1000) / stats.chunks : NaN };
}

function sideStats(rounds: RoundResult[]): SideStats {
  const ttft = rounds.flatMap((r) => r.ttftMs).sort((a, b) => a - b);
  const chunks = sum(rounds.map((r) => r.events));
  const wallMs = sum(rounds.map((r) => r.wallMs));
  const errorKinds: Record<string, number> = {};
  for (const r of rounds) for (const [kind, n] of Object.entries(r.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  return {
    requests: sum(rounds.map((r) => r.requests)),
    errors: sum(rounds.map((r) => r.errors)),
    errorKinds,
    ttftP50Ms: percentile(ttft, 0.5),
    ttftP99Ms: percentile(ttft, 0.99),
    chunks,
    wallMs,
    chunksPerS: wallMs > 0 ? (chunks * 1000) / wallMs : 0,
  };
}

/** Nearest-rank percentile of sorted values; NaN when empty. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
