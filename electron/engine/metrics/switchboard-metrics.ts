// Switchboard's Prometheus metrics (GET /metrics): its own series in a prom-client Registry of its
// own (never the global one), fed by engine events and the router's request observer, read from
// engine.state() at scrape time; then each running SGLang server's own /metrics with a `model` label.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { request } from 'undici';
import type { GpuSample } from '../../../shared/gpu-types.js';
import type { LoadRecord } from '../../../shared/engine-state.js';
import { formatHost } from '../backends/probe-health.js';
import type { Engine } from '../engine-api.js';
import type { RouterRequestOutcome } from '../router/request-observer.js';
import { mergeExpositions, type ExpositionSource } from './merge-expositions.js';

/** Model loads take seconds (a small model, warm cache) to tens of minutes (a large one with torch.compile). */
export const LOAD_BUCKETS_S = [1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 2700, 3600];

/** How long one SGLang server's /metrics may take before it is skipped for this scrape. */
export const UPSTREAM_TIMEOUT_MS = 2_000;

export interface SwitchboardMetricsOptions {
  upstreamTimeoutMs?: number;
}

/** The metrics of one engine: call `observeRequest` from the router, `render()` on each scrape, `close()` at the end. */
export class SwitchboardMetrics {
  readonly registry = new Registry();
  private readonly loadDuration: Histogram<'model' | 'outcome'>;
  private readonly phaseDuration: Histogram<'model' | 'phase'>;
  private readonly requests: Counter<'model' | 'route' | 'status'>;
  private readonly upstreamErrors: Counter<'model'>;
  private gpuSamples: GpuSample[] | null = null;
  private readonly unsubscribe: () => void;
  private readonly upstreamTimeoutMs: number;

  constructor(
    private readonly engine: Engine,
    options: SwitchboardMetricsOptions = {},
  ) {
    this.upstreamTimeoutMs = options.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS;
    const registers = [this.registry];
    this.loadDuration = new Histogram({
      name: 'switchboard_model_load_duration_seconds',
      help: 'Model loads (the load part of a switch: launch to ready, failure or cancel), by model and outcome.',
      labelNames: ['model', 'outcome'],
      buckets: LOAD_BUCKETS_S,
      registers,
    });
    this.phaseDuration = new Histogram({
      name: 'switchboard_model_load_phase_duration_seconds',
      help: 'Time spent in each phase of a model load (launching, weights, kv_cache, cuda_graphs, ...).',
      labelNames: ['model', 'phase'],
      buckets: LOAD_BUCKETS_S,
      registers,
    });
    this.requests = new Counter({
      name: 'switchboard_router_requests_total',
      help: 'Router requests (/v1/*) by model (empty when not resolved), route and HTTP status (499: client went away).',
      labelNames: ['model', 'route', 'status'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'switchboard_upstream_metrics_errors_total',
      help: "Scrapes of a running SGLang server's /metrics that failed (no answer in time, refused, not 200); its series were skipped.",
      labelNames: ['model'],
      registers,
    });
    this.defineStateGauges(registers);
    this.defineGpuGauges(registers);
    this.unsubscribe = engine.subscribe((event) => {
      if (event.type === 'load') this.observeLoad(event.record);
      else if (event.type === 'gpu.sample') this.gpuSamples = event.samples;
    });
  }

  /** The router's observer (request-observer.ts). */
  readonly observeRequest = (outcome: Pick<RouterRequestOutcome, 'route' | 'model' | 'status' | 'durationMs'>): void => {
    this.requests.inc({ model: outcome.model ?? '', route: outcome.route, status: String(outcome.status) });
  };

  /** The whole exposition: switchboard's series, then the running servers' series with `model` added. */
  async render(): Promise<string> {
    // Servers first, so this scrape's upstream errors are already counted in switchboard's series.
    const upstream = await this.scrapeServers();
    const own = await this.registry.metrics();
    return upstream === '' ? own : `${own.endsWith('\n') ? own : own + '\n'}${upstream}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
  }

  private observeLoad(record: LoadRecord): void {
    this.loadDuration.observe({ model: record.modelId, outcome: record.outcome }, Math.max(0, record.endedAtMs - record.startedAtMs) / 1000);
    for (const [phase, ms] of Object.entries(record.phaseMs)) {
      if (typeof ms === 'number') this.phaseDuration.observe({ model: record.modelId, phase }, ms / 1000);
    }
  }

  private defineStateGauges(registers: Registry[]): void {
    const engine = this.engine;
    const requestGauges = [
      { name: 'switchboard_router_requests_in_flight', state: 'active', help: 'Router requests being answered by their model now, by model.' },
      { name: 'switchboard_router_requests_waiting', state: 'waiting', help: 'Router requests waiting for their model to load (or for a switch ahead of them), by model.' },
      { name: 'switchboard_router_requests_queued', state: 'queued', help: "Router requests waiting for a free place under their model's maxConcurrent, by model." },
    ] as const;
    for (const { name, state, help } of requestGauges) {
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          this.reset();
          const byModel = countBy(
            engine
              .state()
              .requests.filter((r) => r.state === state)
              .map((r) => r.modelId),
          );
          for (const [model, n] of byModel) this.set({ model }, n);
        },
      });
    }
    new Gauge({
      name: 'switchboard_switch_queue_depth',
      help: 'Switches (loads, unloads) waiting behind the current one, by backend slot.',
      labelNames: ['slot'],
      registers,
      collect() {
        this.reset();
        for (const slot of engine.state().slots) this.set({ slot: slot.id }, slot.queue.length);
      },
    });
    new Gauge({
      name: 'switchboard_model_loaded',
      help: 'Whether a catalog model is loaded and ready (1) or not (0).',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of engine.state().models) this.set({ model: model.id }, model.status === 'loaded' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'switchboard_models_loaded',
      help: 'How many models are loaded and ready in backend slots.',
      registers,
      collect() {
        this.set(engine.state().activeModels.length);
      },
    });
  }

  private defineGpuGauges(registers: Registry[]): void {
    const latest = async (): Promise<GpuSample[]> => {
      if (this.gpuSamples) return this.gpuSamples;
      try {
        return (await this.engine.gpu()).samples;
      } catch {
        return [];
      }
    };
    const gpuGauge = (name: string, help: string, read: (s: GpuSample) => number | null): void => {
      new Gauge({
        name,
        help,
        labelNames: ['gpu', 'uuid'],
        registers,
        async collect() {
          this.reset();
          for (const sample of await latest()) {
            const value = read(sample);
            // null: the driver does not know; no sample rather than a made-up 0.
            if (value !== null) this.set({ gpu: String(sample.index), uuid: sample.uuid }, value);
          }
        },
      });
    };
    const mib = (v: number | null) => (v === null ? null : v * 1024 * 1024);
    gpuGauge('switchboard_gpu_utilization_ratio', 'GPU utilization (0-1) from the latest nvidia-smi sample.', (s) => (s.utilGpuPct === null ? null : s.utilGpuPct / 100));
    gpuGauge('switchboard_gpu_memory_used_bytes', 'GPU memory in use.', (s) => mib(s.memUsedMiB));
    gpuGauge('switchboard_gpu_memory_total_bytes', 'GPU memory in total.', (s) => mib(s.memTotalMiB));
    gpuGauge('switchboard_gpu_temperature_celsius', 'GPU temperature.', (s) => s.tempC);
    gpuGauge('switchboard_gpu_power_draw_watts', 'GPU board power draw.', (s) => s.powerDrawW);
    gpuGauge('switchboard_gpu_power_limit_watts', 'GPU power limit as set (power.limit).', (s) => s.powerLimitW);
    gpuGauge('switchboard_gpu_enforced_power_limit_watts', 'GPU power limit the card enforces (the lowest of all limiters).', (s) => s.enforcedPowerLimitW);
  }

  /** Each ready SGLang server run with --enable-metrics: its /metrics, merged with `model="<catalog id>"` added. */
  private async scrapeServers(): Promise<string> {
    const catalog = this.engine.catalog();
    const metered = new Set(catalog.models.filter((m) => m.upstream === undefined && m.extraArgs.includes('--enable-metrics')).map((m) => m.id));
    const targets = this.engine
      .state()
      .slots.filter((s) => s.status === 'ready' && s.modelId !== null && metered.has(s.modelId))
      .map((s) => ({ model: s.modelId!, url: `http://${formatHost(s.host)}:${s.port}/metrics` }));
    const sources = await Promise.all(targets.map((t) => this.scrapeOne(t.model, t.url)));
    return mergeExpositions(
      sources.filter((s): s is ExpositionSource => s !== null),
      'model',
    );
  }

  private async scrapeOne(model: string, url: string): Promise<ExpositionSource | null> {
    try {
      const signal = AbortSignal.timeout(this.upstreamTimeoutMs);
      const res = await request(url, { signal, headersTimeout: this.upstreamTimeoutMs, bodyTimeout: this.upstreamTimeoutMs });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return { labelValue: model, text };
    } catch {
      this.upstreamErrors.inc({ model });
      return null;
    }
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
