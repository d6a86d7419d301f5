// parse-prometheus-text-format ships no types: the shape of its output as its README documents it
// (compatible with prom2json). Values stay strings, as in the text. Beware: version 1.1.1 folds all
// of a histogram's or summary's series into one entry without labels (its flattenMetrics ignores
// them), so labeled histograms are checked on the raw text.
declare module 'parse-prometheus-text-format' {
  export interface PromSample {
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    /** Histograms: cumulative counts by upper bound ("0.1", "+Inf"). */
    buckets?: Record<string, string>;
    /** Summaries. */
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }

  export interface PromFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PromSample[];
  }

  /** Parses a Prometheus text exposition; throws on a line it cannot read. */
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
