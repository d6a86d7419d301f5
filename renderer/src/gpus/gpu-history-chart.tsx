import { useCallback } from 'react';
import type uPlot from 'uplot';
import type { SeriesData } from '../charts/time-series-ring.js';
import { UplotChart, type ChartOptions } from '../charts/uplot-chart.js';
import type { ThemeColors } from '../charts/read-theme-colors.js';
import { HISTORY_SERIES } from './gpu-history.js';

const EMPTY: SeriesData = [[], ...HISTORY_SERIES.map(() => [])];

/** One GPU's recent utilisation, memory, temperature (0–100, left) and power with its limit (W, right). */
export function GpuHistoryChart({ index, data }: { index: number; data: SeriesData | undefined }) {
  const makeOptions = useCallback((colors: ThemeColors) => historyOptions(colors), []);
  return <UplotChart makeOptions={makeOptions} data={data ?? EMPTY} height={110} label={`GPU ${index} history: utilisation, memory, temperature and power`} testId={`gpu-chart-${index}`} />;
}

function historyOptions(c: ThemeColors): ChartOptions {
  const stroke: Record<(typeof HISTORY_SERIES)[number]['key'], string> = { util: c.accent, mem: c.ok, temp: c.warn, power: c.bad, limit: c.textDim };
  const axis = { stroke: c.textDim, grid: { stroke: c.border, width: 1 }, ticks: { stroke: c.border, width: 1 }, font: '10px system-ui, sans-serif' };
  return {
    padding: [6, 4, 0, 0],
    cursor: { drag: { x: false, y: false } },
    // Labels only: the card shows the current values, and a live legend would read "—" until hovered.
    legend: { show: true, live: false },
    scales: { x: { time: true }, pct: { range: [0, 100] }, W: { range: (_u: uPlot, _min: number, max: number) => [0, Number.isFinite(max) ? Math.max(50, Math.ceil((max * 1.1) / 50) * 50) : 400] } },
    axes: [
      { ...axis, size: 24 },
      { ...axis, scale: 'pct', size: 34, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t}`) },
      { ...axis, scale: 'W', side: 1, size: 46, grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t} W`) },
    ],
    series: [
      {},
      ...HISTORY_SERIES.map((s) => ({
        label: s.label,
        scale: s.scale,
        stroke: stroke[s.key],
        width: s.key === 'limit' ? 1 : 1.5,
        dash: s.key === 'limit' ? [4, 3] : undefined,
        spanGaps: false,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${Math.round(v)} ${s.unit}`),
      })),
    ],
  };
}
