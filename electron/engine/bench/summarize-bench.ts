import type { BenchResult, BenchSummaryRow } from '../../../shared/throughput.js';

/**
 * Groups runs per model and per set of power limits (the "tok/s @ 350 W" table): models by name, then by total
 * limit high to low, sets with an unknown limit last.
 */
export function summarizeBench(runs: readonly BenchResult[]): BenchSummaryRow[] {
  const groups = new Map<string, [BenchResult, ...BenchResult[]]>();
  for (const run of runs) {
    const key = `${run.modelId}\0${JSON.stringify(run.powerLimitsW)}`;
    const group = groups.get(key);
    if (group) group.push(run);
    else groups.set(key, [run]);
  }
  return [...groups.values()].map(toRow).sort(byModelThenLimit);
}

function toRow(runs: [BenchResult, ...BenchResult[]]): BenchSummaryRow {
  const limits = runs[0].powerLimitsW;
  const firstLimit = limits[0] ?? null;
  const perWatt = runs.map((r) => r.tokPerW).filter((v): v is number => v !== null);
  return {
    modelId: runs[0].modelId,
    powerLimitW: firstLimit !== null && limits.every((w) => w === firstLimit) ? firstLimit : null,
    powerLimitsW: limits,
    runs: runs.length,
    tokPerS: round(mean(runs.map((r) => r.tokPerS)), 2),
    bestTokPerS: Math.max(...runs.map((r) => r.tokPerS)),
    ttftMs: Math.round(mean(runs.map((r) => r.ttftMs))),
    tokPerW: perWatt.length > 0 ? round(mean(perWatt), 4) : null,
    lastAtMs: Math.max(...runs.map((r) => r.atMs)),
  };
}

function byModelThenLimit(a: BenchSummaryRow, b: BenchSummaryRow): number {
  if (a.modelId !== b.modelId) return a.modelId < b.modelId ? -1 : 1;
  return totalW(b) - totalW(a);
}

function totalW(row: BenchSummaryRow): number {
  if (row.powerLimitsW.some((w) => w === null)) return -1;
  return row.powerLimitsW.reduce<number>((sum, w) => sum + w!, 0);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
