import type { LogLine } from '../../../shared/engine-state.js';

/** What one flush hands the terminal: the text to write in one call. */
export interface LogChunk {
  /** Terminal text, every line ending in CRLF. */
  text: string;
  /** Log lines in the chunk (the dropped-lines marker not counted). */
  lines: number;
  /** Lines dropped before this chunk's lines, announced by a marker at its start; 0 when none. */
  dropped: number;
  /** seq of the last line in the chunk; null when the chunk holds only a marker. */
  lastSeq: number | null;
}

export interface LogBatcherOptions {
  /** Lines held between flushes; when more arrive the oldest are dropped (and counted). */
  maxPendingLines: number;
  /** At most this many lines per flush; the rest wait for the next. */
  maxLinesPerFlush: number;
  /** Stop adding lines to a chunk once it holds this many characters (at least one line is always taken). */
  maxCharsPerFlush?: number;
  /** Turns a line into terminal text (colours), without the line ending. Called only for lines that are written. */
  format: (line: LogLine) => string;
}

/**
 * Collects log lines as they arrive and hands them out in chunks, one terminal write per animation
 * frame. Memory stays bounded under any flood: past `maxPendingLines` the oldest waiting lines are
 * dropped, and the next chunk starts with a marker saying how many. Lines keep their order.
 */
export class LogBatcher {
  private ring: (LogLine | undefined)[];
  private head = 0;
  private size = 0;
  private droppedSinceMarker = 0;
  private droppedTotalCount = 0;
  private options: Required<LogBatcherOptions>;

  constructor(options: LogBatcherOptions) {
    this.options = { maxCharsPerFlush: 512 * 1024, ...options };
    this.ring = new Array(positive(options.maxPendingLines, 'maxPendingLines'));
    positive(options.maxLinesPerFlush, 'maxLinesPerFlush');
  }

  /** Lines waiting for the next flush. */
  get pendingLines(): number {
    return this.size;
  }

  /** Lines dropped since construction or the last clear. */
  get droppedTotal(): number {
    return this.droppedTotalCount;
  }

  /** True when a flush would return something (lines or a dropped-lines marker). */
  get hasPending(): boolean {
    return this.size > 0 || this.droppedSinceMarker > 0;
  }

  push(line: LogLine): void {
    const capacity = this.ring.length;
    if (this.size === capacity) {
      // Full: the oldest waiting line makes room; the marker at the front of the next chunk reports it.
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % capacity;
      this.size--;
      this.droppedSinceMarker++;
      this.droppedTotalCount++;
    }
    this.ring[(this.head + this.size) % capacity] = line;
    this.size++;
  }

  /** Takes the next chunk, or null when nothing waits. */
  flush(): LogChunk | null {
    if (!this.hasPending) return null;
    const { maxLinesPerFlush, maxCharsPerFlush, format } = this.options;
    const dropped = this.droppedSinceMarker;
    this.droppedSinceMarker = 0;
    const parts: string[] = dropped > 0 ? [droppedMarker(dropped)] : [];
    let chars = parts[0]?.length ?? 0;
    let lines = 0;
    let lastSeq: number | null = null;
    const capacity = this.ring.length;
    while (this.size > 0 && lines < maxLinesPerFlush && (lines === 0 || chars < maxCharsPerFlush)) {
      const line = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % capacity;
      this.size--;
      const text = `${format(line)}\r\n`;
      parts.push(text);
      chars += text.length;
      lines++;
      lastSeq = line.seq;
    }
    return { text: parts.join(''), lines, dropped, lastSeq };
  }

  /** Drops everything waiting and resets the counters. */
  clear(): void {
    this.ring = new Array(this.ring.length);
    this.head = 0;
    this.size = 0;
    this.droppedSinceMarker = 0;
    this.droppedTotalCount = 0;
  }

  /** Changes the bound; lines beyond a smaller one are dropped (oldest first) and counted. */
  setMaxPendingLines(maxPendingLines: number): void {
    const kept: LogLine[] = [];
    for (let i = 0; i < this.size; i++) kept.push(this.ring[(this.head + i) % this.ring.length]!);
    const overflow = Math.max(0, kept.length - positive(maxPendingLines, 'maxPendingLines'));
    this.droppedSinceMarker += overflow;
    this.droppedTotalCount += overflow;
    this.ring = new Array(maxPendingLines);
    this.head = 0;
    this.size = 0;
    for (const line of kept.slice(overflow)) this.push(line);
  }
}

/** The line a chunk starts with when lines were dropped before it. */
export function droppedMarker(count: number): string {
  return `\x1b[7m ⋯ dropped ${count.toLocaleString('en-US')} line${count === 1 ? '' : 's'} (too many to show) ⋯ \x1b[0m\r\n`;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
