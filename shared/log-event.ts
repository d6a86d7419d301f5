import type { FailureCause } from './failure.js';

/**
 * What one SGLang log line means, as the pure parser reads it.
 * Event names follow the fixtures' SOURCES.md (dist_begin, weights_begin, shard_progress, ...).
 * `rank` is the TP rank from a `[ts TPn]` prefix, absent on unprefixed lines.
 */
export type LogEvent =
  | {
      kind: 'server_args';
      tpSize?: number;
      torchCompile?: boolean;
      torchCompileMaxBs?: number;
      disableCudaGraph?: boolean;
      servedModelName?: string;
      port?: number;
      /** The fit estimate's inputs as SGLang resolved them (a `None` leaves the field out). */
      modelPath?: string;
      memFractionStatic?: number;
      kvCacheDtype?: string;
      contextLength?: number;
      maxTotalTokens?: number;
      pageSize?: number;
    }
  | { kind: 'dist_begin'; rank?: number }
  | { kind: 'dist_end'; rank?: number }
  | { kind: 'weights_begin'; rank?: number; availGb?: number }
  | { kind: 'shard_progress'; done: number; total: number; percent: number }
  | { kind: 'weights_end'; rank?: number; modelClass?: string; availGb?: number; memUsageGb?: number }
  /** K and V pool sizes per GPU in GiB (SGLang prints them as "GB"). */
  | { kind: 'kv_alloc'; rank?: number; tokens?: number; kSizeGb?: number; vSizeGb?: number }
  | { kind: 'mem_pool_end'; rank?: number; availGb?: number }
  | { kind: 'graph_begin'; rank?: number }
  | { kind: 'graph_bs'; rank?: number; batchSizes: number[] }
  | { kind: 'graph_progress'; bs?: number; done: number; total: number }
  | { kind: 'graph_end'; rank?: number; elapsedS?: number }
  | { kind: 'max_tokens'; rank?: number; maxTotalTokens: number; contextLen?: number; maxRunningRequests?: number }
  | { kind: 'http_up'; host: string; port: number }
  | { kind: 'warmup_req' }
  | { kind: 'ready' }
  | { kind: 'prefill'; newSeqs: number; newTokens: number; runningReqs: number; queueReqs: number }
  | { kind: 'decode'; runningReqs: number; tokens: number; genTokPerS: number; queueReqs: number }
  | { kind: 'failure'; cause: FailureCause; detail: string }
  | { kind: 'shutdown' };

/** The kind names of LogEvent. */
export type LogEventKind = LogEvent['kind'];
