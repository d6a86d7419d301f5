// Tokens per second, as SGLang reports them while generating and as the built-in benchmark measures them.

/** One generation-throughput reading of a model. */
export interface ThroughputSample {
  modelId: string;
  atMs: number;
  /** Tokens per second summed over the running requests. */
  genTokPerS: number;
  /** Requests decoding at that moment; null when the source does not say. */
  runningReqs: number | null;
  /** `log`: a `Decode batch … gen throughput` line; `metrics`: `/metrics` `sglang:gen_throughput`. */
  source: 'log' | 'metrics';
}

/** One benchmark run: a fixed prompt streamed for `tokens` tokens through the model's own server. */
export interface BenchResult {
  modelId: string;
  /** When the run started, ms since the epoch. */
  atMs: number;
  /** Decode speed: tokens after the first divided by the time since the first. */
  tokPerS: number;
  /** Time to the first token, from sending the request. */
  ttftMs: number;
  tokens: number;
  /** The model's GPU indexes, in the order of `powerLimitsW`. */
  gpus: number[];
  /** Each GPU's enforced power limit when the run started; null when unknown. */
  powerLimitsW: (number | null)[];
  /** Mean total draw of the model's GPUs during the run; null when unknown. */
  powerDrawW: number | null;
  /** tokPerS / powerDrawW; null when the draw is unknown. */
  tokPerW: number | null;
}

/** Benchmark runs of one model at one set of power limits. */
export interface BenchSummaryRow {
  modelId: string;
  /** The limit all the model's GPUs had; null when they differed or it was unknown (see powerLimitsW). */
  powerLimitW: number | null;
  powerLimitsW: (number | null)[];
  runs: number;
  /** Mean over the runs. */
  tokPerS: number;
  bestTokPerS: number;
  ttftMs: number;
  tokPerW: number | null;
  lastAtMs: number;
}

/** `GET /api/bench/history`: every run and the per-model, per-limit table. */
export interface BenchHistoryView {
  runs: BenchResult[];
  summary: BenchSummaryRow[];
}
