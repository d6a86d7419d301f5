import type { LogLine } from '../../../shared/engine-state.js';

/** A bounded ring of the most recent backend log lines, numbered by a sequence that never repeats. */
export class LogBuffer {
  private readonly ring: (LogLine | undefined)[];
  private nextSeq = 1;

  constructor(private readonly capacity = 10_000) {
    this.ring = new Array(capacity);
  }

  /** Adds one line and returns it with its sequence number. O(1). */
  push(entry: Omit<LogLine, 'seq'>): LogLine {
    const line: LogLine = { seq: this.nextSeq++, ...entry };
    this.ring[(line.seq - 1) % this.capacity] = line;
    return line;
  }

  /** The last `count` lines, oldest first. */
  tail(count: number): LogLine[] {
    const stored = Math.min(this.nextSeq - 1, this.capacity);
    const n = Math.max(0, Math.min(count, stored));
    const out: LogLine[] = [];
    for (let seq = this.nextSeq - n; seq < this.nextSeq; seq++) out.push(this.ring[(seq - 1) % this.capacity]!);
    return out;
  }
}
