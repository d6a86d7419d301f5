// The parser is pure (no Node imports), so the terminal colours lines exactly as the engine reads them.
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import type { LogEventKind } from '../../../shared/log-event.js';
import type { LogLine } from '../../../shared/engine-state.js';

/** How a log line is shown: load phases and readiness stand out, failures red, warnings yellow. */
export type LogTone = 'error' | 'warning' | 'phase' | 'ready' | 'progress' | 'plain';

const PHASE_KINDS = new Set<LogEventKind>(['dist_begin', 'dist_end', 'weights_begin', 'weights_end', 'kv_alloc', 'mem_pool_end', 'graph_begin', 'graph_end', 'max_tokens', 'http_up']);
const PROGRESS_KINDS = new Set<LogEventKind>(['shard_progress', 'graph_progress', 'graph_bs']);

/** Lines the parser does not call failures but that still report an error (tracebacks, uvicorn ERROR). */
const ERROR_PATTERN = /Traceback \(most recent call last\)|^\s*(?:[A-Za-z_][\w.]*)?(?:Error|Exception)\b:|(?:^|[\]\s])(?:ERROR|CRITICAL|FATAL)\b/;
/** Python warnings, notices that say they can be ignored, and 4xx/5xx access lines. */
const WARNING_PATTERN = /\bwarn(?:ing)?s?\b|\w+Warning\b|\bdeprecated\b|" [45]\d\d\b/i;
const WARNING_FIRST = /can be ignored|Ignore import error/i;

/** Classifies one clean log line (no trailing newline). */
export function classifyLogLine(text: string): LogTone {
  const event = parseSglangLine(text);
  if (event?.kind === 'failure') return 'error';
  // A notice like "The following error message … can be ignored." is not an error.
  if (WARNING_FIRST.test(text)) return 'warning';
  if (ERROR_PATTERN.test(text)) return 'error';
  if (event?.kind === 'ready') return 'ready';
  if (event && PHASE_KINDS.has(event.kind)) return 'phase';
  if (event && PROGRESS_KINDS.has(event.kind)) return 'progress';
  if (WARNING_PATTERN.test(text)) return 'warning';
  return 'plain';
}

/** SGR sequences per tone; the terminal's palette maps these ANSI colours to the theme's. */
export const TONE_SGR: Record<LogTone, string> = {
  error: '\x1b[31m',
  warning: '\x1b[33m',
  phase: '\x1b[1;36m',
  ready: '\x1b[1;32m',
  progress: '\x1b[34m',
  plain: '',
};

/** The gutter before each line: stderr gets a dim rail, the engine's own lines a magenta mark. */
export const STREAM_GUTTER: Record<LogLine['stream'], string> = {
  stdout: '  ',
  stderr: '\x1b[2m┃\x1b[22m ',
  engine: '\x1b[35m»\x1b[39m ',
};

const RESET = '\x1b[0m';
/** Longer lines are cut (the ServerArgs repr alone is ~10 kB); the terminal wraps the rest. */
export const MAX_LINE_CHARS = 8_000;

/** A log line as terminal text with colours, without the line ending. */
export function formatLogLine(line: Pick<LogLine, 'stream' | 'text'>): string {
  const text = sanitize(line.text);
  const sgr = TONE_SGR[classifyLogLine(text)];
  return `${STREAM_GUTTER[line.stream]}${sgr ? `${sgr}${text}${RESET}` : text}`;
}

/** Drops escape sequences and control characters so a line can never move the cursor or recolour the rest. */
export function sanitize(text: string): string {
  const clean = text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return clean.length > MAX_LINE_CHARS ? `${clean.slice(0, MAX_LINE_CHARS)}… (${clean.length - MAX_LINE_CHARS} more chars)` : clean;
}
