import type { BenchSummaryRow } from '../../../shared/throughput.js';

/** The benchmark table's sortable columns. */
export type BenchSortKey = 'modelId' | 'powerLimitW' | 'runs' | 'tokPerS' | 'bestTokPerS' | 'ttftMs' | 'tokPerW';

export interface BenchSort {
  key: BenchSortKey;
  direction: 'asc' | 'desc';
}

/** Text columns start ascending, numbers descending (best first), TTFT ascending (fastest first). */
export function defaultDirection(key: BenchSortKey): BenchSort['direction'] {
  return key === 'modelId' || key === 'ttftMs' ? 'asc' : 'desc';
}

/** Clicking a column: the same column flips, another one starts in its default direction. */
export function nextSort(current: BenchSort, key: BenchSortKey): BenchSort {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { key, direction: defaultDirection(key) };
}

/** Rows sorted by one column; unknown values (null) always last; ties by model, then by newest run. */
export function sortBenchRows(rows: readonly BenchSummaryRow[], sort: BenchSort): BenchSummaryRow[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [va, vb] = [valueOf(a, sort.key), valueOf(b, sort.key)];
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else if (va !== vb) {
      return sign * (typeof va === 'string' ? va.localeCompare(vb as string) : va - (vb as number));
    }
    return a.modelId.localeCompare(b.modelId) || b.lastAtMs - a.lastAtMs;
  });
}

function valueOf(row: BenchSummaryRow, key: BenchSortKey): number | string | null {
  if (key === 'powerLimitW') return row.powerLimitW ?? meanLimitOrNull(row.powerLimitsW);
  return row[key];
}

/** Mixed limits (300 W and 280 W) sort by their mean, so the row lands near the uniform ones. */
function meanLimitOrNull(limits: (number | null)[]): number | null {
  if (limits.length === 0 || limits.some((w) => w === null)) return null;
  return (limits as number[]).reduce((a, b) => a + b, 0) / limits.length;
}
