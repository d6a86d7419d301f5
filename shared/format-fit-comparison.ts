import type { FitComparison } from './fit-estimate.js';

/** One figure of a load's memory: what the estimate said, what SGLang reported, and the difference. */
export interface FitComparisonRow {
  label: 'Weights per GPU' | 'KV cache tokens';
  predicted: string | null;
  actual: string | null;
  /** actual vs predicted, e.g. "+0.6 %"; null until both are known. */
  delta: string | null;
}

function gib(value: number): string {
  return `${value.toFixed(2)} GiB`;
}

function tokens(value: number): string {
  return value.toLocaleString('en-US');
}

function delta(predicted: number | null | undefined, actual: number | null): string | null {
  if (predicted === null || predicted === undefined || actual === null || predicted === 0) return null;
  const pct = ((actual - predicted) / predicted) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)} %`;
}

/** The rows the switch progress shows (UI) and prints (CLI). */
export function fitComparisonRows(fit: FitComparison): FitComparisonRow[] {
  const p = fit.predicted;
  const a = fit.actual;
  return [
    {
      label: 'Weights per GPU',
      predicted: p ? gib(p.weightsPerGpuGib) : null,
      actual: a.weightsPerGpuGib === null ? null : gib(a.weightsPerGpuGib),
      delta: delta(p?.weightsPerGpuGib, a.weightsPerGpuGib),
    },
    {
      label: 'KV cache tokens',
      predicted: p?.kvTokens === null || p?.kvTokens === undefined ? null : tokens(p.kvTokens),
      actual: a.kvTokens === null ? null : tokens(a.kvTokens),
      delta: delta(p?.kvTokens, a.kvTokens),
    },
  ];
}

/** One line: "weights 15.54 GiB/GPU (predicted 15.55 GiB, −0.1 %) · KV cache 46,611 tokens (predicted 46,516, +0.2 %)"; null when nothing is known. */
export function formatFitComparison(fit: FitComparison): string | null {
  const parts: string[] = [];
  for (const [row, name, unit] of fitComparisonRows(fit).map((r) => [r, r.label === 'Weights per GPU' ? 'weights' : 'KV cache', r.label === 'Weights per GPU' ? '/GPU' : ' tokens'] as const)) {
    if (row.actual === null && row.predicted === null) continue;
    const actual = row.actual === null ? 'not reported' : `${row.actual}${unit}`;
    const predicted = row.predicted === null ? '' : ` (predicted ${row.predicted}${row.delta ? `, ${row.delta}` : ''})`;
    parts.push(`${name} ${actual}${predicted}`);
  }
  return parts.length === 0 ? null : parts.join(' · ');
}
