import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { BenchSummaryRow } from '../../../shared/throughput.js';
import { nextSort, sortBenchRows, type BenchSortKey } from './sort-bench-rows.js';
import type { ThroughputStore } from './throughput-store.js';

const COLUMNS: { key: BenchSortKey; label: string; numeric: boolean }[] = [
  { key: 'modelId', label: 'Model', numeric: false },
  { key: 'powerLimitW', label: 'Power limit', numeric: true },
  { key: 'runs', label: 'Runs', numeric: true },
  { key: 'tokPerS', label: 'tok/s', numeric: true },
  { key: 'bestTokPerS', label: 'Best', numeric: true },
  { key: 'ttftMs', label: 'TTFT', numeric: true },
  { key: 'tokPerW', label: 'tok/s per W', numeric: true },
];

/** The benchmark history per model and power limit, sortable by any column (buttons in the headers). */
export function BenchTable({ store }: { store: ThroughputStore }) {
  const summary = useStore(store, (s) => s.summary);
  const sort = useStore(store, (s) => s.sort);
  const historyError = useStore(store, (s) => s.historyError);
  const rows = useMemo(() => sortBenchRows(summary, sort), [summary, sort]);
  return (
    <section className="tp-history" aria-labelledby="tp-history-title">
      <h2 id="tp-history-title">Benchmark history</h2>
      {historyError && (
        <p role="alert" className="tp-error">
          {historyError}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="tp-dim">No benchmark has run yet.</p>
      ) : (
        <div className="tp-table-scroll">
          <table className="tp-table" data-testid="bench-table">
            <thead>
              <tr>
                {COLUMNS.map((column) => {
                  const active = sort.key === column.key;
                  return (
                    <th key={column.key} scope="col" className={column.numeric ? 'num' : undefined} aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
                      <button type="button" data-testid={`bench-sort-${column.key}`} onClick={() => store.getState().setSort(nextSort(sort, column.key))}>
                        {column.label}
                        <span aria-hidden="true">{active ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.modelId}|${JSON.stringify(row.powerLimitsW)}`}>
                  <td>{row.modelId}</td>
                  <td className="num">{limitText(row)}</td>
                  <td className="num">{row.runs}</td>
                  <td className="num">{row.tokPerS.toFixed(2)}</td>
                  <td className="num">{row.bestTokPerS.toFixed(2)}</td>
                  <td className="num">{Math.round(row.ttftMs)} ms</td>
                  <td className="num">{row.tokPerW === null ? '—' : row.tokPerW.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** "300 W" when every GPU had it, else each GPU's ("300/280 W"), "?" for unknown. */
function limitText(row: BenchSummaryRow): string {
  if (row.powerLimitW !== null) return `${row.powerLimitW} W`;
  if (row.powerLimitsW.length === 0) return '—';
  return `${row.powerLimitsW.map((w) => w ?? '?').join('/')} W`;
}
