/** CSI / OSC escape sequences (colours, cursor moves) as uvicorn or tqdm may print them on a TTY. */
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * A SGLang record prefix: `[2025-03-08 12:29:21 TP1] `, `[12:29:21 TP0] ` (0.3.x), `[ts DP1 TP0] `.
 * The time must be hh:mm:ss followed by `]` or a rank token, so tqdm's `[00:00<?, ?it/s]` never matches.
 */
const RECORD_PREFIX = /\[(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2}(?: (?:DP|TP|EP|PP)\d+)*\] /g;

const LINE_BREAK = /\r\n|\n|\r/;

/** A process that never prints a line break must not grow the buffer without bound. */
const MAX_PARTIAL_CHARS = 256 * 1024;

/**
 * Incremental splitter for a backend's merged stdout/stderr.
 * Splits on `\n`, `\r\n` and bare `\r` (tqdm refreshes), strips ANSI escapes, drops blank pieces and
 * cuts a record glued onto the end of a progress bar into its own line. Returns clean text; the
 * terminal view gets the raw bytes elsewhere.
 */
export class LogLineSplitter {
  private partial = '';

  /** Feeds a chunk; returns the complete lines it finished, in order. */
  push(chunk: string): string[] {
    const pieces = (this.partial + chunk).split(LINE_BREAK);
    // A chunk ending in '\r' may be the first half of '\r\n'; the empty piece that follows is dropped anyway.
    this.partial = pieces.pop() ?? '';
    if (this.partial.length > MAX_PARTIAL_CHARS) {
      pieces.push(this.partial);
      this.partial = '';
    }
    return pieces.flatMap(cleanLine);
  }

  /** Returns whatever is left as a final line (call at end of stream). */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return cleanLine(rest);
  }

  /**
   * The unfinished line so far, cleaned, without consuming it. tqdm writes `\r` before each refresh, so the
   * newest bar state stays here until the next refresh; a progress view may peek at it.
   */
  pending(): string {
    return cleanLine(this.partial).at(-1) ?? '';
  }
}

/** Strips escapes, splits glued records and drops blank pieces. */
function cleanLine(raw: string): string[] {
  const text = raw.includes('\x1b') ? raw.replace(ANSI_ESCAPE, '') : raw;
  return splitGluedRecords(text).filter((piece) => piece.trim() !== '');
}

/** Cuts `...it/s][2025-03-08 12:29:21 TP1] Capture ...` before every record prefix that is not at the start. */
export function splitGluedRecords(text: string): string[] {
  const starts: number[] = [];
  for (const match of text.matchAll(RECORD_PREFIX)) {
    if (match.index > 0) starts.push(match.index);
  }
  if (starts.length === 0) return [text];
  const pieces: string[] = [];
  let from = 0;
  for (const at of starts) {
    pieces.push(text.slice(from, at));
    from = at;
  }
  pieces.push(text.slice(from));
  return pieces;
}
