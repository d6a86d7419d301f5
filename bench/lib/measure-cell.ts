// One table cell: the same streams through the router, straight to the simulator, and through a
// minimal pass-through proxy (the floor of any extra Node process), rounds alternated.
import type { Pool } from 'undici';
import { cpuMs, rssMiB } from './proc-stats.js';
import { runRound, type RoundResult, type StreamSpec } from './load-generator.js';

export interface SideStats {
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  ttftP50Ms: number;
  ttftP99Ms: number;
  chunks: number;
  wallMs: number;
  chunksPerS: number;
}

export interface RouterStats extends SideStats {
  cpuUsPerChunk: number;
  rssMiB: number;
}

export interface CellResult {
  speed: string;
  tokensPerS: number;
  maxTokens: number;
  concurrency: number;
  rounds: number;
  direct: SideStats;
  router: RouterStats;
  /** The minimal pass-through proxy (min-proxy.mjs) to the same backend. */
  floor: SideStats;
}

export interface CellTargets {
  direct: Pool;
  router: Pool;
  floor: Pool;
  routerPid: number;
}

export interface CellPlan {
  speed: string;
  tokensPerS: number;
  spec: StreamSpec;
  concurrency: number;
  rounds: number;
}

/** Streams used to open connections (client, router → upstream) before measuring. */
const WARMUP_TOKENS = 4;

export async function measureCell(targets: CellTargets, plan: CellPlan): Promise<CellResult> {
  const warmSpec = { ...plan.spec, maxTokens: WARMUP_TOKENS };
  await runRound(targets.router, warmSpec, plan.concurrency, 1);
  await runRound(targets.direct, warmSpec, plan.concurrency, 1);
  await runRound(targets.floor, warmSpec, plan.concurrency, 1);
  const direct: RoundResult[] = [];
  const router: RoundResult[] = [];
  const floor: RoundResult[] = [];
  let routerCpuMs = 0;
  for (let r = 0; r < plan.rounds; r++) {
    // D R, R D, D R, …: a drift (thermal, page cache, GC) lands on both sides alike.
    for (const side of r % 2 === 0 ? ['direct', 'router', 'floor'] : ['floor', 'router', 'direct']) {
      if (side === 'direct' || side === 'floor') {
        (side === 'direct' ? direct : floor).push(await runRound(targets[side], plan.spec, plan.concurrency, 1));
        continue;
      }
      const before = cpuMs(targets.routerPid);
      router.push(await runRound(targets.router, plan.spec, plan.concurrency, 1));
      routerCpuMs += cpuMs(targets.routerPid) - before;
    }
  }
  const routerSide = sideStats(router);
  return {
    speed: plan.speed,
    tokensPerS: plan.tokensPerS,
    maxTokens: plan.spec.maxTokens,
    concurrency: plan.concurrency,
    rounds: plan.rounds,
    direct: sideStats(direct),
    floor: sideStats(floor),
    router: { ...routerSide, cpuUsPerChunk: routerSide.chunks > 0 ? (routerCpuMs * 1000) / routerSide.chunks : NaN, rssMiB: rssMiB(targets.routerPid) },
  };
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
