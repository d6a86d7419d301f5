import type { LogEvent } from '../../../shared/log-event.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';

/** What SGLang itself logged about a load's memory (rank 0, or the first rank seen); GiB as the log prints them. */
export interface LoadFigures {
  /** `Load weight begin. avail mem=`: total_gpu_memory of profile_max_num_token. */
  preLoadAvailGib: number | null;
  /** `Load weight end. … avail mem=`. */
  postLoadAvailGib: number | null;
  /** `Load weight end. … mem usage=`: what the weights took per GPU. */
  weightsGib: number | null;
  /** `KV Cache is allocated. #tokens:` */
  kvTokens: number | null;
  /** K size + V size of that line (per GPU). */
  kvPoolGib: number | null;
  /** `max_total_num_tokens=` (after --max-total-tokens and page alignment). */
  maxTotalTokens: number | null;
  contextLen: number | null;
  /** From server_args. */
  modelPath: string | null;
  tp: number | null;
  memFractionStatic: number | null;
  kvCacheDtype: string | null;
  contextLength: number | null;
  maxTotalTokensArg: number | null;
  pageSize: number | null;
}

function first<T>(current: T | null, rank: number | undefined, value: T | undefined): T | null {
  if (value === undefined) return current;
  if (current === null || rank === 0) return value;
  return current;
}

/** Folds a load's log lines (raw, with their `[ts TPn]` prefixes) into its memory figures. */
export function readLoadFigures(lines: Iterable<string>): LoadFigures {
  const events: LogEvent[] = [];
  for (const line of lines) {
    const event = parseSglangLine(line);
    if (event) events.push(event);
  }
  return foldLoadFigures(events);
}

export function foldLoadFigures(events: Iterable<LogEvent>): LoadFigures {
  const f: LoadFigures = {
    preLoadAvailGib: null,
    postLoadAvailGib: null,
    weightsGib: null,
    kvTokens: null,
    kvPoolGib: null,
    maxTotalTokens: null,
    contextLen: null,
    modelPath: null,
    tp: null,
    memFractionStatic: null,
    kvCacheDtype: null,
    contextLength: null,
    maxTotalTokensArg: null,
    pageSize: null,
  };
  for (const e of events) {
    switch (e.kind) {
      case 'server_args':
        f.modelPath = e.modelPath ?? f.modelPath;
        f.tp = e.tpSize ?? f.tp;
        f.memFractionStatic = e.memFractionStatic ?? f.memFractionStatic;
        f.kvCacheDtype = e.kvCacheDtype ?? f.kvCacheDtype;
        f.contextLength = e.contextLength ?? f.contextLength;
        f.maxTotalTokensArg = e.maxTotalTokens ?? f.maxTotalTokensArg;
        f.pageSize = e.pageSize ?? f.pageSize;
        break;
      case 'weights_begin':
        f.preLoadAvailGib = first(f.preLoadAvailGib, e.rank, e.availGb);
        break;
      case 'weights_end':
        f.postLoadAvailGib = first(f.postLoadAvailGib, e.rank, e.availGb);
        f.weightsGib = first(f.weightsGib, e.rank, e.memUsageGb);
        break;
      case 'kv_alloc':
        f.kvTokens = first(f.kvTokens, e.rank, e.tokens);
        f.kvPoolGib = first(f.kvPoolGib, e.rank, e.kSizeGb !== undefined && e.vSizeGb !== undefined ? e.kSizeGb + e.vSizeGb : undefined);
        break;
      case 'max_tokens':
        f.maxTotalTokens = first(f.maxTotalTokens, e.rank, e.maxTotalTokens);
        f.contextLen = first(f.contextLen, e.rank, e.contextLen);
        break;
      default:
        break;
    }
  }
  return f;
}
