import { useCallback } from 'react';
import type uPlot from 'uplot';
import { useStore } from 'zustand';
import type { ThemeColors } from '../charts/read-theme-colors.js';
import { UplotChart, type ChartOptions } from '../charts/uplot-chart.js';
import type { ThroughputStore } from './throughput-store.js';

/** Live generation tok/s of the chart's model (log lines and /metrics), with running requests on the right. */
export function ThroughputChart({ store }: { store: ThroughputStore }) {
  const chart = useStore(store, (s) => s.chart);
  const chartModel = useStore(store, (s) => s.chartModel);
  const latest = useStore(store, (s) => s.latest);
  const chartError = useStore(store, (s) => s.chartError);
  const makeOptions = useCallback((colors: ThemeColors) => throughputOptions(colors), []);
  return (
    <section className="tp-live" aria-labelledby="tp-live-title">
      <div className="tp-head">
        <h2 id="tp-live-title">Live throughput</h2>
        <span className="tp-dim" data-testid="throughput-model">
          {chartModel ? chartModel : 'No model is loaded'}
        </span>
        <span className="tp-now" aria-live="polite" data-testid="throughput-latest">
          {latest ? `${latest.genTokPerS.toFixed(1)} tok/s${latest.runningReqs !== null ? ` · ${latest.runningReqs} running` : ''}` : '—'}
        </span>
      </div>
      {chartError && (
        <p role="alert" className="tp-error">
          {chartError}
        </p>
      )}
      {chart[0].length === 0 && <p className="tp-dim">No samples yet: tok/s appear while the model generates (decode log lines and /metrics).</p>}
      <UplotChart makeOptions={makeOptions} data={chart} height={200} label={`Generation throughput of ${chartModel ?? 'no model'} in tokens per second`} testId="throughput-chart" />
    </section>
  );
}

function throughputOptions(c: ThemeColors): ChartOptions {
  const axis = { stroke: c.textDim, grid: { stroke: c.border, width: 1 }, ticks: { stroke: c.border, width: 1 }, font: '10px system-ui, sans-serif' };
  const tokS = (_u: uPlot, v: number | null) => (v === null ? '—' : `${v.toFixed(1)} tok/s`);
  return {
    padding: [8, 4, 0, 0],
    cursor: { drag: { x: true, y: false } },
    scales: {
      x: { time: true },
      tok: { range: (_u: uPlot, _min: number, max: number) => [0, Number.isFinite(max) ? Math.max(10, max * 1.1) : 100] },
      reqs: { range: (_u: uPlot, _min: number, max: number) => [0, Number.isFinite(max) ? Math.max(4, max + 1) : 4] },
    },
    axes: [
      { ...axis, size: 26 },
      { ...axis, scale: 'tok', size: 46, label: 'tok/s', labelSize: 14 },
      { ...axis, scale: 'reqs', side: 1, size: 32, grid: { show: false }, label: 'requests', labelSize: 14 },
    ],
    series: [
      {},
      { label: 'tok/s (log)', scale: 'tok', stroke: c.accent, width: 1.5, spanGaps: true, points: { show: false }, value: tokS },
      { label: 'tok/s (/metrics)', scale: 'tok', stroke: c.ok, width: 1.5, spanGaps: true, points: { show: false }, value: tokS },
      { label: 'running', scale: 'reqs', stroke: c.textDim, width: 1, dash: [4, 3], spanGaps: true, points: { show: false } },
    ],
  };
}
