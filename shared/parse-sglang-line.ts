import type { FailureCause } from './failure.js';
import type { LogEvent } from './log-event.js';

/**
 * Reads one clean SGLang log line (see LogLineSplitter) as a LogEvent, or null for anything else.
 * Pure and stateless: it cannot know whether the server is ready yet, so every `POST /generate` 200 is a
 * `warmup_req` and every `Prefill batch` is a `prefill`; the reducer decides what they mean in context.
 * A bare `AssertionError` line is generic (any failed assert) and yields null here; diagnoseFailure
 * reads it as tp_mismatch only after a scheduler exception during the weights phase.
 */
export function parseSglangLine(line: string): LogEvent | null {
  const { body, rank } = splitPrefix(line);
  // The ServerArgs repr holds arbitrary user strings, so it must not reach the failure rules.
  if (body.startsWith('server_args=ServerArgs(')) return parseServerArgs(body);
  for (const rule of FAILURE_RULES) {
    if (rule.pattern.test(body)) return { kind: 'failure', cause: rule.cause, detail: truncate(body.trim()) };
  }
  for (const rule of EVENT_RULES) {
    const match = rule.pattern.exec(body);
    if (match) return rule.build(match, body, rank);
  }
  return null;
}

/** Any order of DP/TP/EP/PP tokens after an optional date (`[hh:mm:ss TPn]` in 0.3.x). */
const PREFIX = /^\[(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2}((?: (?:DP|TP|EP|PP)\d+)*)\] ?/;

function splitPrefix(line: string): { body: string; rank?: number } {
  const match = PREFIX.exec(line);
  if (!match) return { body: line };
  const tp = / TP(\d+)/.exec(match[1] ?? '');
  return { body: line.slice(match[0].length), rank: tp ? Number(tp[1]) : undefined };
}

const DETAIL_MAX_CHARS = 500;

function truncate(text: string): string {
  return text.length > DETAIL_MAX_CHARS ? `${text.slice(0, DETAIL_MAX_CHARS)}…` : text;
}

interface FailureRule {
  pattern: RegExp;
  cause: FailureCause;
}

/** First match wins, so a line naming both a capture failure and CUDA OOM reads as oom. */
const FAILURE_RULES: FailureRule[] = [
  { pattern: /CUDA out of memory|CUDA error: out of memory/, cause: 'oom' },
  { pattern: /Not enough memory\. Please try to increase --mem-fraction-static/, cause: 'not_enough_memory' },
  { pattern: /Capture cuda graph failed/i, cause: 'cuda_graph_capture' },
  { pattern: /address already in use/i, cause: 'port_busy' },
  { pattern: /The input size is not aligned with the quantized weight shape/, cause: 'tp_mismatch' },
  { pattern: /must be divisible by tensor parallel size/, cause: 'tp_mismatch' },
  // The source line Python prints in a traceback, e.g. `    assert self.total_num_heads % tp_size == 0`.
  { pattern: /^\s*assert\b(?=.*tp_size\b)(?=.*(?:num_heads|num_key_value_heads|num_kv_heads))/, cause: 'tp_mismatch' },
  { pattern: /invalid device ordinal/, cause: 'invalid_device' },
  { pattern: /The memory capacity is unbalanced/, cause: 'unbalanced_memory' },
  { pattern: /is greater than the derived context_length/, cause: 'context_too_long' },
  { pattern: /Initialization failed\. warmup error/, cause: 'warmup_failed' },
  { pattern: /launch_server(?:\.py)?: error:/, cause: 'bad_args' },
  { pattern: /is not a local folder and is not a valid model identifier/, cause: 'model_not_found' },
  { pattern: /does not appear to have a file named config\.json/, cause: 'model_not_found' },
  {
    pattern:
      /Scheduler hit an exception|DetokenizerManager hit an exception|Received sigquit from a child process|SIGQUIT received\..*It usually means one child failed|Rank \d+ scheduler is dead|Initialization failed\. Please see the error messages above|other ranks that didn't finish loading|Watchdog timeout/,
    cause: 'exited',
  },
];

interface EventRule {
  pattern: RegExp;
  build: (match: RegExpExecArray, body: string, rank: number | undefined) => LogEvent;
}

/** Regexes match the line after its `[ts TPn]` prefix; fields that drift between versions are read one by one. */
const EVENT_RULES: EventRule[] = [
  { pattern: /^Init torch distributed begin\./, build: (_m, _b, rank) => ({ kind: 'dist_begin', rank }) },
  { pattern: /^Init torch distributed ends\./, build: (_m, _b, rank) => ({ kind: 'dist_end', rank }) },
  {
    pattern: /^Load weight begin\./,
    build: (_m, body, rank) => ({ kind: 'weights_begin', rank, availGb: numberField(body, /avail mem=([\d.]+) GB/) }),
  },
  {
    pattern: /^(?:Loading \S+ checkpoint shards|Multi-thread loading shards):\s+(\d+)% Completed \| (\d+)\/(\d+)/,
    build: (m) => ({ kind: 'shard_progress', percent: Number(m[1]), done: Number(m[2]), total: Number(m[3]) }),
  },
  { pattern: /^Load weight end\./, build: (_m, body, rank) => weightsEnd(body, rank) },
  {
    pattern: /^KV Cache is allocated\./,
    build: (_m, body, rank) => ({
      kind: 'kv_alloc',
      rank,
      tokens: numberField(body, /#tokens: (\d+)/),
      kSizeGb: numberField(body, /\bK size: ([\d.]+) GB/),
      vSizeGb: numberField(body, /\bV size: ([\d.]+) GB/),
    }),
  },
  {
    pattern: /^Memory pool end\./,
    build: (_m, body, rank) => ({ kind: 'mem_pool_end', rank, availGb: numberField(body, /avail mem=([\d.]+) GB/) }),
  },
  // Covers `Capture cuda graph`, `Capture piecewise CUDA graph`, `Capture target prefill CUDA graph`, draft graphs.
  { pattern: /^Capture (?:[\w ]+ )?cuda graph begin\b/i, build: (_m, _b, rank) => ({ kind: 'graph_begin', rank }) },
  {
    pattern: /^Capture cuda graph bs \[([\d, ]*)\]/,
    build: (m, _b, rank) => ({
      kind: 'graph_bs',
      rank,
      batchSizes: (m[1] ?? '')
        .split(',')
        .filter((s) => s.trim() !== '')
        .map(Number),
    }),
  },
  {
    pattern: /^Capture (?:[\w ]+ )?cuda graph end\b/i,
    build: (_m, body, rank) => ({ kind: 'graph_end', rank, elapsedS: numberField(body, /(?:Time elapsed: |elapsed=)([\d.]+) s/) }),
  },
  {
    pattern: /^Capturing batches \(bs=(\d+)[^)]*\):\s+\d+%\|[^|]*\|\s*(\d+)\/(\d+)/,
    build: (m) => ({ kind: 'graph_progress', bs: Number(m[1]), done: Number(m[2]), total: Number(m[3]) }),
  },
  // Piecewise bars count token sizes, not batch sizes, so they carry no bs; plain bars (<= 0.4.3) carry none either.
  {
    pattern: /^(?:Capturing num tokens \([^)]*\):)?\s*\d+%\|[^|]*\|\s*(\d+)\/(\d+) \[/,
    build: (m) => ({ kind: 'graph_progress', done: Number(m[1]), total: Number(m[2]) }),
  },
  { pattern: /^max_total_num_tokens=(\d+)/, build: (m, body, rank) => maxTokens(m, body, rank) },
  {
    pattern: /Uvicorn running on https?:\/\/(\[[^\]]+\]|[^\s:/]+):(\d+)/,
    build: (m) => ({ kind: 'http_up', host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[2]) }),
  },
  { pattern: /"POST \/generate HTTP\/[\d.]+" 200\b/, build: () => ({ kind: 'warmup_req' }) },
  { pattern: /The server is fired up and ready to roll!/, build: () => ({ kind: 'ready' }) },
  { pattern: /^Prefill batch[.,] /, build: (_m, body) => prefill(body) },
  { pattern: /^Decode batch[.,] /, build: (_m, body) => decode(body) },
  { pattern: /SIGTERM received|Gracefully exiting\.\.\./, build: () => ({ kind: 'shutdown' }) },
];

function numberField(body: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(body);
  return match ? Number(match[1]) : undefined;
}

function weightsEnd(body: string, rank: number | undefined): LogEvent {
  return {
    kind: 'weights_end',
    rank,
    modelClass: /type=(\w+)/.exec(body)?.[1],
    availGb: numberField(body, /avail mem=([\d.]+) GB/),
    memUsageGb: numberField(body, /mem usage=([\d.]+) GB/),
  };
}

function maxTokens(match: RegExpExecArray, body: string, rank: number | undefined): LogEvent {
  return {
    kind: 'max_tokens',
    rank,
    maxTotalTokens: Number(match[1]),
    contextLen: numberField(body, /context_len=(\d+)/),
    maxRunningRequests: numberField(body, /max_running_requests=(\d+)/),
  };
}

function prefill(body: string): LogEvent {
  return {
    kind: 'prefill',
    newSeqs: numberField(body, /#new-seq: (\d+)/) ?? 0,
    newTokens: numberField(body, /#new-token: (\d+)/) ?? 0,
    runningReqs: numberField(body, /#running-req: (\d+)/) ?? 0,
    queueReqs: numberField(body, /#queue-req: (\d+)/) ?? 0,
  };
}

function decode(body: string): LogEvent {
  return {
    kind: 'decode',
    runningReqs: numberField(body, /#running-req: (\d+)/) ?? 0,
    // Hybrid (SWA) models print `#full token:` instead of `#token:`.
    tokens: numberField(body, /#(?:full )?token: (\d+)/) ?? 0,
    genTokPerS: numberField(body, /gen throughput \(token\/s\): ([\d.]+)/) ?? 0,
    queueReqs: numberField(body, /#queue-req: (\d+)/) ?? 0,
  };
}

/** Fields of the `ServerArgs(...)` repr the load cares about; each is preceded by `(` or `, `. */
function parseServerArgs(body: string): LogEvent {
  const field = (name: string): string | undefined => new RegExp(`[(,] ?${name}=('(?:[^'\\\\]|\\\\.)*'|[^,)]*)`).exec(body)?.[1];
  const int = (name: string): number | undefined => {
    const value = field(name);
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  const bool = (name: string): boolean | undefined => {
    const value = field(name);
    return value === 'True' ? true : value === 'False' ? false : undefined;
  };
  const served = field('served_model_name');
  const str = (name: string): string | undefined => {
    const value = field(name);
    return value?.startsWith("'") ? value.slice(1, -1) : undefined;
  };
  const float = (name: string): number | undefined => {
    const value = field(name);
    return value !== undefined && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : undefined;
  };
  return {
    kind: 'server_args',
    tpSize: int('tp_size'),
    torchCompile: bool('enable_torch_compile'),
    torchCompileMaxBs: int('torch_compile_max_bs'),
    disableCudaGraph: bool('disable_cuda_graph'),
    servedModelName: served?.startsWith("'") ? served.slice(1, -1) : undefined,
    port: int('port'),
    modelPath: str('model_path'),
    memFractionStatic: float('mem_fraction_static'),
    kvCacheDtype: str('kv_cache_dtype'),
    contextLength: int('context_length'),
    maxTotalTokens: int('max_total_tokens'),
    pageSize: int('page_size'),
  };
}
