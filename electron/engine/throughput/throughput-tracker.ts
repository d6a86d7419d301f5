// Collects a model's tok/s from its decode log lines (always) and from /metrics (when it runs with
// --enable-metrics, polled only while it is ready).

import type { ModelEntry } from '../../../shared/catalog-schema.js';
import type { LogEvent } from '../../../shared/log-event.js';
import type { ThroughputSample } from '../../../shared/throughput.js';
import { MetricsThroughputPoller } from './metrics-throughput-poller.js';
import { ThroughputLog } from './throughput-log.js';

export interface ThroughputTrackerOptions {
  /** /metrics poll interval (default 5000 ms). */
  metricsPollMs?: number;
  onSample(sample: ThroughputSample): void;
  now?: () => number;
}

/** Per-model throughput rings fed by log events and /metrics. */
export class ThroughputTracker {
  private readonly log = new ThroughputLog();
  private poller: { modelId: string; baseUrl: string; poller: MetricsThroughputPoller } | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ThroughputTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Feeds one parsed backend log event; decode lines become samples. */
  onLogEvent(event: LogEvent, modelId: string): void {
    if (event.kind !== 'decode') return;
    this.add({ modelId, atMs: this.now(), genTokPerS: event.genTokPerS, runningReqs: event.runningReqs, source: 'log' });
  }

  /** Polls /metrics of `model` at `baseUrl` while it is ready there; null (or not ready) stops polling. */
  follow(model: ModelEntry | null, baseUrl: string | null): void {
    const wanted = model && baseUrl && model.upstream === undefined && hasMetrics(model) ? { modelId: model.id, baseUrl } : null;
    if (this.poller && wanted && this.poller.modelId === wanted.modelId && this.poller.baseUrl === wanted.baseUrl) return;
    this.poller?.poller.stop();
    this.poller = null;
    if (!wanted) return;
    const poller = new MetricsThroughputPoller(wanted.modelId, wanted.baseUrl, this.options.metricsPollMs ?? 5000, (s) => this.add(s));
    this.poller = { ...wanted, poller };
    poller.start();
  }

  /** The model whose /metrics is being polled, if any. */
  get polledModelId(): string | null {
    return this.poller?.modelId ?? null;
  }

  samples(modelId: string, sinceMs?: number): ThroughputSample[] {
    return this.log.samples(modelId, sinceMs);
  }

  stop(): void {
    this.follow(null, null);
  }

  private add(sample: ThroughputSample): void {
    this.log.record(sample);
    this.options.onSample(sample);
  }
}

function hasMetrics(model: ModelEntry): boolean {
  return model.extraArgs.includes('--enable-metrics');
}
