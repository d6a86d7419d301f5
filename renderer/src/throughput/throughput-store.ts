import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineState } from '../../../shared/engine-state.js';
import type { BenchResult, BenchSummaryRow, ThroughputSample } from '../../../shared/throughput.js';
import type { ApiHub } from '../api/api-hub.js';
import { activeModelIds } from '../engine/engine-store.js';
import { TimeSeriesRing, type SeriesData } from '../charts/time-series-ring.js';
import { defaultDirection, type BenchSort } from './sort-bench-rows.js';

/** Chart series, in data order: tok/s from decode log lines, tok/s from /metrics, running requests. */
export const THROUGHPUT_SERIES = ['log', 'metrics', 'running'] as const;

export type BenchRun = { kind: 'idle' } | { kind: 'running'; modelId: string } | { kind: 'done'; result: BenchResult } | { kind: 'error'; modelId: string; message: string };

export interface ThroughputState {
  /** Every model loaded and ready (one per slot). */
  activeModels: string[];
  models: { id: string; label: string }[];
  /** The model the chart shows: the one that became active last, or the last one a sample came from when none is active. */
  chartModel: string | null;
  chart: SeriesData;
  latest: ThroughputSample | null;
  chartError: string | null;
  /** The model the Benchmark button runs (defaults to the active one). */
  benchModel: string | null;
  benchMaxTokens: number;
  bench: BenchRun;
  /** The last result from anyone (this screen, the CLI), from `bench` events. */
  lastResult: BenchResult | null;
  summary: BenchSummaryRow[];
  historyError: string | null;
  sort: BenchSort;
  /** Reads the state, samples and bench history, and follows events; returns the stop function. */
  start(): () => void;
  setBenchModel(modelId: string): void;
  setBenchMaxTokens(tokens: number): void;
  runBench(): Promise<void>;
  setSort(sort: BenchSort): void;
}

export type ThroughputStore = StoreApi<ThroughputState>;

export interface ThroughputStoreOptions {
  /** Points kept on the chart (default 600). */
  chartPoints?: number;
}

/** The Throughput screen's store: the live tok/s chart of the active model, and the benchmark with its table. */
export function createThroughputStore(hub: ApiHub, options: ThroughputStoreOptions = {}): ThroughputStore {
  const ring = new TimeSeriesRing(options.chartPoints ?? 600, THROUGHPUT_SERIES.length);
  /** Live samples that arrived while the model's earlier samples were still being read. */
  let early: ThroughputSample[] | null = null;
  let loadToken = 0;
  let historyInFlight: Promise<void> | null = null;
  let historyAgain = false;

  return createStore<ThroughputState>()((set, get) => {
    function plot(sample: ThroughputSample): void {
      // Two sources can stamp the same millisecond; keep x strictly increasing.
      const atMs = Math.max(sample.atMs, (ring.lastAtMs ?? 0) + 1);
      ring.push(atMs, [sample.source === 'log' ? sample.genTokPerS : null, sample.source === 'metrics' ? sample.genTokPerS : null, sample.runningReqs]);
    }

    function onSample(sample: ThroughputSample): void {
      const { chartModel, activeModels } = get();
      if (chartModel === null && activeModels.length === 0) return void loadChart(sample.modelId);
      if (sample.modelId !== chartModel) return;
      if (early) return void (early.length < ring.capacity && early.push(sample));
      plot(sample);
      set({ chart: ring.toSeriesData(), latest: sample });
    }

    /** Switches the chart to a model: its recent samples first, then what arrived meanwhile. */
    async function loadChart(modelId: string | null): Promise<void> {
      const token = ++loadToken;
      ring.clear();
      early = [];
      set({ chartModel: modelId, chart: ring.toSeriesData(), latest: null, chartError: null });
      if (modelId === null) return void (early = null);
      try {
        const samples = await hub.call('throughput.samples', { model: modelId, sinceMs: Date.now() - 10 * 60_000 });
        if (token !== loadToken) return;
        for (const sample of samples) plot(sample);
        const last = samples.at(-1)?.atMs ?? -Infinity;
        for (const sample of early ?? []) if (sample.atMs > last) plot(sample);
        set({ chart: ring.toSeriesData(), latest: [...samples, ...(early ?? [])].at(-1) ?? null });
      } catch (err) {
        if (token === loadToken) set({ chartError: `Could not read ${modelId}'s throughput: ${messageOf(err)}` });
      } finally {
        if (token === loadToken) early = null;
      }
    }

    function onState(state: EngineState): void {
      const models = state.models.map((m) => ({ id: m.id, label: m.label }));
      const previous = get().activeModels;
      const activeModels = activeModelIds(state);
      set({ models, activeModels, benchModel: get().benchModel ?? activeModels[0] ?? models[0]?.id ?? null });
      // The chart follows the model that just became ready; with several at once, the last listed.
      const arrived = activeModels.filter((id) => !previous.includes(id)).at(-1);
      if (arrived !== undefined && arrived !== get().chartModel) void loadChart(arrived);
    }

    /** Re-reads the table; calls that arrive while one is in flight collapse into one more read. */
    function refreshHistory(): Promise<void> {
      if (historyInFlight) {
        historyAgain = true;
        return historyInFlight;
      }
      historyInFlight = hub
        .call('bench.history', {})
        .then(
          (view) => set({ summary: view.summary, historyError: null }),
          (err: unknown) => set({ historyError: `Could not read the benchmark history: ${messageOf(err)}` }),
        )
        .finally(() => {
          historyInFlight = null;
          if (historyAgain) {
            historyAgain = false;
            void refreshHistory();
          }
        });
      return historyInFlight;
    }

    return {
      activeModels: [],
      models: [],
      chartModel: null,
      chart: ring.toSeriesData(),
      latest: null,
      chartError: null,
      benchModel: null,
      benchMaxTokens: 256,
      bench: { kind: 'idle' },
      lastResult: null,
      summary: [],
      historyError: null,
      sort: { key: 'tokPerS', direction: defaultDirection('tokPerS') },

      start() {
        const offs = [
          hub.on('state', ({ state }) => onState(state)),
          hub.on('throughput', ({ sample }) => onSample(sample)),
          hub.on('bench', ({ result }) => {
            set({ lastResult: result });
            void refreshHistory();
          }),
        ];
        hub.call('state.get', {}).then(onState, (err: unknown) => set({ chartError: `Could not read the engine state: ${messageOf(err)}` }));
        void refreshHistory();
        return () => {
          for (const off of offs) off();
          loadToken++;
        };
      },

      setBenchModel(modelId) {
        set({ benchModel: modelId });
      },

      setBenchMaxTokens(tokens) {
        if (Number.isInteger(tokens) && tokens >= 8 && tokens <= 4096) set({ benchMaxTokens: tokens });
      },

      async runBench() {
        const { benchModel, bench, benchMaxTokens } = get();
        if (!benchModel || bench.kind === 'running') return;
        set({ bench: { kind: 'running', modelId: benchModel } });
        try {
          const result = await hub.call('bench.run', { model: benchModel, maxTokens: benchMaxTokens });
          set({ bench: { kind: 'done', result }, lastResult: result });
          await refreshHistory();
        } catch (err) {
          set({ bench: { kind: 'error', modelId: benchModel, message: messageOf(err) } });
        }
      },

      setSort(sort) {
        set({ sort });
      },
    };
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
