// `/metrics` (only with --enable-metrics): prometheus_client multiprocess exposition of the
// scheduler gauges (labels engine_type/model_name/pp_rank/tp_rank) and tokenizer counters.
import { pyFloatRepr } from './python-repr.js';

const LATENCY_BUCKETS_S = [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400, 800];
const TTFT_BUCKETS_S = [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 120, 160];

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    this.buckets.forEach((bound, index) => {
      if (value <= bound) this.counts[index] = (this.counts[index] ?? 0) + 1;
    });
  }
}

export class SimMetrics {
  promptTokens = 0;
  generationTokens = 0;
  finishedRequests = 0;
  abortedRequests = 0;
  genThroughput = 0;
  readonly e2eLatency = new Histogram(LATENCY_BUCKETS_S);
  readonly timeToFirstToken = new Histogram(TTFT_BUCKETS_S);
}

export interface GaugeSnapshot {
  runningReqs: number;
  queuedReqs: number;
  usedTokens: number;
  tokenUsage: number;
  engineStartupS: number;
  loadWeightsS: number;
}

/** prometheus_client's floatToGoString. */
export function promValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  const repr = pyFloatRepr(value);
  const dot = repr.indexOf('.');
  if (value > 0 && dot > 6) {
    const digits = repr.slice(0, dot) + repr.slice(dot + 1);
    const mantissa = `${digits[0]}.${digits.slice(1)}`.replace(/0+$/, '').replace(/\.$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return repr;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function series(name: string, help: string, type: string, lines: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
}

function histogram(name: string, help: string, labels: string, data: Histogram): string {
  const lines = data.buckets.map((bound, index) => `${name}_bucket{le="${promValue(bound)}",${labels}} ${promValue(data.counts[index] ?? 0)}`);
  lines.push(`${name}_bucket{le="+Inf",${labels}} ${promValue(data.count)}`);
  lines.push(`${name}_count{${labels}} ${promValue(data.count)}`);
  lines.push(`${name}_sum{${labels}} ${promValue(data.sum)}`);
  return series(name, help, 'histogram', lines);
}

export function renderMetrics(modelName: string, metrics: SimMetrics, gauges: GaugeSnapshot): string {
  const model = `model_name="${escapeLabel(modelName)}"`;
  const schedLabels = `{engine_type="unified",${model},pp_rank="0",tp_rank="0"}`;
  const gauge = (name: string, help: string, value: number) => series(`sglang:${name}`, help, 'gauge', [`sglang:${name}${schedLabels} ${promValue(value)}`]);
  const counter = (name: string, help: string, value: number) => series(`sglang:${name}`, help, 'counter', [`sglang:${name}{${model}} ${promValue(value)}`]);
  return [
    gauge('num_running_reqs', 'The number of running requests.', gauges.runningReqs),
    gauge('num_used_tokens', 'The number of used tokens.', gauges.usedTokens),
    gauge('token_usage', 'The token usage.', gauges.tokenUsage),
    gauge('swa_token_usage', 'The token usage for SWA layers.', 0),
    gauge('gen_throughput', 'The generation throughput (token/s).', metrics.genThroughput),
    gauge('num_queue_reqs', 'The number of requests in the waiting queue.', gauges.queuedReqs),
    gauge('num_grammar_queue_reqs', 'The number of requests in the grammar waiting queue.', 0),
    gauge('num_running_reqs_offline_batch', 'The number of running low-priority offline batch requests(label is "batch").', 0),
    gauge('cache_hit_rate', 'The prefix cache hit rate.', 0),
    gauge('spec_accept_length', 'The average acceptance length of speculative decoding.', 0),
    gauge('num_retracted_reqs', 'The number of retracted requests.', 0),
    gauge('num_paused_reqs', 'The number of paused requests by async weight sync.', 0),
    gauge('utilization', 'The utilization.', gauges.runningReqs > 0 ? 1 : 0),
    gauge('engine_startup_time', 'The time taken for the engine to start up.', gauges.engineStartupS),
    gauge('engine_load_weights_time', 'The time taken for the engine to load weights.', gauges.loadWeightsS),
    counter('prompt_tokens_total', 'Number of prefill tokens processed.', metrics.promptTokens),
    counter('generation_tokens_total', 'Number of generation tokens processed.', metrics.generationTokens),
    counter('cached_tokens_total', 'Number of cached prompt tokens.', 0),
    counter('num_requests_total', 'Number of requests processed.', metrics.finishedRequests),
    counter('num_so_requests_total', 'Number of structured output requests processed.', 0),
    counter('num_aborted_requests_total', 'Number of requests aborted.', metrics.abortedRequests),
    histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', model, metrics.timeToFirstToken),
    histogram('sglang:e2e_request_latency_seconds', 'Histogram of End-to-end request latency in seconds', model, metrics.e2eLatency),
  ].join('');
}
