// `/metrics` is served only when the model runs with --enable-metrics. SGLang updates its gauges only when it
// logs a Decode/Prefill line (and every 30 s when idle), so an unchanged reading is the same sample again and
// a reading counts only while requests are running.

import { request } from 'undici';
import type { ThroughputSample } from '../../../shared/throughput.js';

const POLL_TIMEOUT_MS = 2_000;

/** The gauges one scrape yields; null when absent. */
export interface GenThroughputReading {
  genTokPerS: number | null;
  runningReqs: number | null;
}

/**
 * Sums `sglang:gen_throughput` and `sglang:num_running_reqs` over the TP-rank-0 series (one per DP rank); other
 * TP ranks report only with --enable-metrics-for-all-schedulers and would count the same tokens again.
 */
export function readGenThroughput(text: string): GenThroughputReading {
  return { genTokPerS: gauge(text, 'sglang:gen_throughput'), runningReqs: gauge(text, 'sglang:num_running_reqs') };
}

function gauge(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (/tp_rank="(?!0")/.test(line)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Scrapes one model's `/metrics` every `intervalMs` until stopped; reports readings taken while it generates. */
export class MetricsThroughputPoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private last = '';

  constructor(
    private readonly modelId: string,
    private readonly baseUrl: string,
    private readonly intervalMs: number,
    private readonly onSample: (sample: ThroughputSample) => void,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      const res = await request(`${this.baseUrl}/metrics`, { headersTimeout: POLL_TIMEOUT_MS, bodyTimeout: POLL_TIMEOUT_MS });
      const text = await res.body.text();
      if (res.statusCode !== 200 || this.stopped) return;
      const { genTokPerS, runningReqs } = readGenThroughput(text);
      const key = `${genTokPerS}|${runningReqs}`;
      if (genTokPerS === null || !runningReqs || key === this.last) return;
      this.last = key;
      this.onSample({ modelId: this.modelId, atMs: Date.now(), genTokPerS, runningReqs, source: 'metrics' });
    } catch {
      // The server may be stopping; the next poll (or the stop) decides.
    }
  }
}
