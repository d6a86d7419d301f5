/**
 * Invisible markers around the router's own loading-status text, so it can be stripped when a client
 * (Open WebUI) sends it back as part of an assistant turn.
 *
 * Both are three default-ignorable format characters (General_Category Cf), which browsers render as
 * nothing, markdown leaves alone, JSON carries as is (or as `\u206x` escapes) and neither JS `trim()`
 * nor Python `strip()` removes:
 *   OPEN  = U+2063 INVISIBLE SEPARATOR, U+2062 INVISIBLE TIMES, U+2060 WORD JOINER
 *   CLOSE = U+2060 WORD JOINER, U+2062 INVISIBLE TIMES, U+2063 INVISIBLE SEPARATOR
 * Model output practically never holds these in sequence. The two cannot overlap each other, so
 * CLOSE directly followed by OPEN still reads as two markers. U+200D (zero-width joiner) is avoided:
 * next to an emoji it would try to form an emoji sequence.
 */
export const STATUS_OPEN = '\u2063\u2062\u2060';
export const STATUS_CLOSE = '\u2060\u2062\u2063';

/** OPEN as Python's `json.dumps` (ensure_ascii) writes it into a request body. */
const STATUS_OPEN_ESCAPED = '\\u2063\\u2062\\u2060';

/** One status line to stream while a switch runs. */
export interface StatusLineInput {
  kind: 'switching' | 'phase' | 'tick' | 'ready' | 'failed';
  modelId: string;
  /** The phase's human label ("Loading weights"); 'phase' and 'tick' only. */
  phaseLabel?: string;
  /** Progress inside the phase, 0..100. */
  percent?: number;
  /** Short detail shown after the percentage, e.g. "shard 3/9". */
  detail?: string;
  elapsedMs?: number;
  /** Estimated time left; null or absent when unknown. */
  etaMs?: number | null;
  /** 'failed' only: what went wrong. */
  message?: string;
  /** 'failed' only: what to do about it. */
  hint?: string;
}

/**
 * `🔄 Switching to <model>…`, `⏳ Loading weights 45% (shard 4/9) · 2m10s · ~3m left` (each part only
 * when known), `✅ Ready (4m02s)`, `❌ <message> — <hint>`; each ends with `\n`.
 */
export function formatStatusLine(input: StatusLineInput): string {
  switch (input.kind) {
    case 'switching':
      return `🔄 Switching to ${input.modelId}…\n`;
    case 'phase':
    case 'tick':
      return `⏳ ${formatProgress(input)}\n`;
    case 'ready':
      return isKnown(input.elapsedMs) ? `✅ Ready (${formatElapsed(input.elapsedMs)})\n` : '✅ Ready\n';
    case 'failed': {
      const message = input.message || `Switching to ${input.modelId} failed`;
      return input.hint ? `❌ ${message} — ${input.hint}\n` : `❌ ${message}\n`;
    }
  }
}

function formatProgress(input: StatusLineInput): string {
  let head = input.phaseLabel || 'Loading';
  if (isKnown(input.percent)) head += ` ${Math.floor(Math.min(100, Math.max(0, input.percent)))}%`;
  if (input.detail) head += ` (${input.detail})`;
  const parts = [head];
  if (isKnown(input.elapsedMs)) parts.push(formatElapsed(input.elapsedMs));
  if (isKnown(input.etaMs) && input.etaMs > 0) parts.push(`~${formatEta(input.etaMs)} left`);
  return parts.join(' · ');
}

function isKnown(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** "45s", "2m10s", "1h05m". */
function formatElapsed(ms: number): string {
  const totalS = Math.max(0, Math.floor(ms / 1000));
  if (totalS < 60) return `${totalS}s`;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  if (h > 0) return `${h}h${pad2(m)}m`;
  return `${m}m${pad2(totalS % 60)}s`;
}

/** Coarse on purpose, estimates are rough: "5s", "40s" (tens of seconds), "3m", "1h20m". */
function formatEta(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${Math.max(1, Math.ceil(s))}s`;
  if (s < 55) return `${Math.round(s / 10) * 10}s`;
  const totalM = Math.max(1, Math.round(s / 60));
  if (totalM < 60) return `${totalM}m`;
  return `${Math.floor(totalM / 60)}h${pad2(totalM % 60)}m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Whether a raw request body may hold status text: the marker literally, or JSON-escaped as
 * `\u2063\u2062\u2060` (the hex digits are all decimal, so case does not matter). A cheap pre-check
 * before parsing; a Buffer is searched without decoding it.
 */
export function hasStatusMarker(rawBody: string | Buffer): boolean {
  return rawBody.includes(STATUS_OPEN) || rawBody.includes(STATUS_OPEN_ESCAPED);
}

/**
 * Removes the router's status text from the assistant turns of an OpenAI `messages` array: every block
 * from STATUS_OPEN to STATUS_CLOSE plus the whitespace after it (an OPEN without CLOSE, from a cut
 * stream, runs to the end of the text), in `content` strings, text parts and `reasoning_content`; and a
 * whole Open WebUI `<details type="reasoning">` block that held nothing but status text. Other roles
 * are never touched. A turn left empty keeps `content: ""`, so roles still alternate. Returns the same
 * array and `changed: false` when nothing matched; otherwise a new array (the input is not mutated).
 */
export function stripStatusText(messages: unknown): { messages: unknown; changed: boolean } {
  if (!Array.isArray(messages)) return { messages, changed: false };
  let result: unknown[] | null = null;
  for (let i = 0; i < messages.length; i++) {
    const stripped = stripAssistantMessage(messages[i]);
    if (stripped === messages[i]) continue;
    result ??= messages.slice();
    result[i] = stripped;
  }
  return result === null ? { messages, changed: false } : { messages: result, changed: true };
}

/** The message with its status text removed, or the same object when it has none. */
function stripAssistantMessage(message: unknown): unknown {
  if (!isRecord(message) || message.role !== 'assistant') return message;
  const changes: Record<string, unknown> = {};
  const { content, reasoning_content: reasoning } = message;
  if (typeof content === 'string') {
    const text = stripTurnText(content);
    if (text !== content) changes.content = text;
  } else if (Array.isArray(content)) {
    const parts = stripTextParts(content);
    if (parts !== content) changes.content = parts;
  }
  if (typeof reasoning === 'string') {
    const text = stripTurnText(reasoning);
    if (text !== reasoning) changes.reasoning_content = text;
  }
  return Object.keys(changes).length > 0 ? { ...message, ...changes } : message;
}

function stripTextParts(parts: unknown[]): unknown[] {
  let result: unknown[] | null = null;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') continue;
    const text = stripTurnText(part.text);
    if (text === part.text) continue;
    result ??= parts.slice();
    result[i] = { ...part, text };
  }
  return result ?? parts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Open WebUI's saved form of a reasoning box: `<details type="reasoning" ...>` … `</details>` and what follows. */
const REASONING_DETAILS = /<details\b[^>]*\btype="reasoning"[^>]*>([\s\S]*?)<\/details>\s*/g;
const SUMMARY = /<summary>[\s\S]*?<\/summary>/g;
/** What is left of a reasoning box whose status text is gone: blockquote marks (maybe HTML-escaped) and blanks. */
const EMPTY_REASONING = /^(?:\s|>|&gt;)*$/;

/** One text of an assistant turn without its status blocks; the same string when it has none. */
function stripTurnText(text: string): string {
  if (!text.includes(STATUS_OPEN)) return text;
  const withoutBoxes = text.replace(REASONING_DETAILS, (block: string, inner: string) => {
    if (!inner.includes(STATUS_OPEN)) return block;
    // Inside the box Open WebUI prefixed every line with "> ", so a block may start after such a prefix.
    const rest = removeMarkedBlocks(inner, true);
    if (EMPTY_REASONING.test(rest.replace(SUMMARY, ''))) return '';
    const innerStart = block.indexOf('>') + 1;
    return block.slice(0, innerStart) + rest + block.slice(innerStart + inner.length);
  });
  const stripped = removeMarkedBlocks(withoutBoxes, false);
  return stripped.trim() === '' ? '' : stripped;
}

/**
 * Cuts every OPEN…CLOSE block and the whitespace after it; an OPEN without CLOSE runs to the end.
 * With `isQuoted`, a blockquote mark right before OPEN at the start of a line goes with the block.
 */
function removeMarkedBlocks(text: string, isQuoted: boolean): string {
  let out = '';
  let from = 0;
  for (let open = text.indexOf(STATUS_OPEN); open !== -1; open = text.indexOf(STATUS_OPEN, from)) {
    const start = isQuoted ? Math.max(from, startOfQuotePrefix(text, open)) : open;
    out += text.slice(from, start);
    const close = text.indexOf(STATUS_CLOSE, open + STATUS_OPEN.length);
    if (close === -1) return out;
    from = close + STATUS_CLOSE.length;
    while (from < text.length && isWhitespace(text.charCodeAt(from))) from++;
  }
  return out + text.slice(from);
}

const QUOTE_PREFIX = /^[ \t]*(?:>|&gt;)[ \t]?$/;

/** Where the line holding OPEN starts, if only a blockquote mark precedes OPEN on it; else OPEN itself. */
function startOfQuotePrefix(text: string, open: number): number {
  const lineStart = text.lastIndexOf('\n', open - 1) + 1;
  return QUOTE_PREFIX.test(text.slice(lineStart, open)) ? lineStart : open;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
