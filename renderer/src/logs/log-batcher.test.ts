import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/engine-state.js';
import { LogBatcher } from './log-batcher.js';

const line = (seq: number): LogLine => ({ seq, atMs: seq, stream: 'stderr', text: `line ${seq}`, modelId: 'm' });
const plain = (l: LogLine) => String(l.seq);

/** The seqs written in a chunk, and the dropped counts of its markers. */
function readChunk(text: string): { seqs: number[]; markers: number[] } {
  const seqs: number[] = [];
  const markers: number[] = [];
  for (const row of text.split('\r\n').filter(Boolean)) {
    const dropped = /dropped ([\d,]+) line/.exec(row)?.[1];
    if (dropped !== undefined) markers.push(Number(dropped.replace(/,/g, '')));
    else seqs.push(Number(row));
  }
  return { seqs, markers };
}

describe('LogBatcher', () => {
  it('hands out waiting lines in order, one chunk per flush, CRLF-terminated', () => {
    const batcher = new LogBatcher({ maxPendingLines: 100, maxLinesPerFlush: 100, format: plain });
    for (let seq = 1; seq <= 3; seq++) batcher.push(line(seq));
    expect(batcher.flush()).toEqual({ text: '1\r\n2\r\n3\r\n', lines: 3, dropped: 0, lastSeq: 3 });
    expect(batcher.flush()).toBeNull();
  });

  it('caps the lines per flush and keeps the rest for the next', () => {
    const batcher = new LogBatcher({ maxPendingLines: 100, maxLinesPerFlush: 2, format: plain });
    for (let seq = 1; seq <= 5; seq++) batcher.push(line(seq));
    expect(readChunk(batcher.flush()!.text).seqs).toEqual([1, 2]);
    expect(readChunk(batcher.flush()!.text).seqs).toEqual([3, 4]);
    expect(readChunk(batcher.flush()!.text).seqs).toEqual([5]);
  });

  it('caps the characters per flush but always takes one line', () => {
    const batcher = new LogBatcher({ maxPendingLines: 10, maxLinesPerFlush: 10, maxCharsPerFlush: 5, format: (l) => 'x'.repeat(8) + l.seq });
    batcher.push(line(1));
    batcher.push(line(2));
    expect(batcher.flush()!.lines).toBe(1);
    expect(batcher.flush()!.lines).toBe(1);
  });

  it('drops the oldest waiting lines past the bound and starts the next chunk with a marker', () => {
    const batcher = new LogBatcher({ maxPendingLines: 3, maxLinesPerFlush: 10, format: plain });
    for (let seq = 1; seq <= 8; seq++) batcher.push(line(seq));
    expect(batcher.pendingLines).toBe(3);
    const chunk = batcher.flush()!;
    expect(chunk.dropped).toBe(5);
    expect(chunk.text.startsWith('\x1b[7m ⋯ dropped 5 lines')).toBe(true);
    expect(readChunk(chunk.text)).toEqual({ seqs: [6, 7, 8], markers: [5] });
    expect(batcher.droppedTotal).toBe(5);
  });

  it('formats only the lines it writes (never the dropped ones)', () => {
    let formatted = 0;
    const batcher = new LogBatcher({ maxPendingLines: 10, maxLinesPerFlush: 1_000, format: (l) => (formatted++, plain(l)) });
    for (let seq = 1; seq <= 10_000; seq++) batcher.push(line(seq));
    batcher.flush();
    expect(formatted).toBe(10);
  });

  it('shrinking the bound drops the oldest and counts them; clear resets', () => {
    const batcher = new LogBatcher({ maxPendingLines: 10, maxLinesPerFlush: 100, format: plain });
    for (let seq = 1; seq <= 6; seq++) batcher.push(line(seq));
    batcher.setMaxPendingLines(2);
    expect(readChunk(batcher.flush()!.text)).toEqual({ seqs: [5, 6], markers: [4] });
    batcher.push(line(7));
    batcher.clear();
    expect(batcher.flush()).toBeNull();
    expect(batcher.droppedTotal).toBe(0);
  });

  it('under a 5,000 lines/s flood for 60 s: bounded memory, every line written or counted, order kept', () => {
    const maxPendingLines = 10_000;
    const maxLinesPerFlush = 1_000;
    const batcher = new LogBatcher({ maxPendingLines, maxLinesPerFlush, format: plain });
    const frameMs = 1000 / 60;
    // The terminal takes a chunk only every 30th frame (a stalled renderer: 2,000 lines/s), so the backlog must be bounded by dropping.
    const written: number[] = [];
    let dropped = 0;
    let seq = 0;
    let maxPending = 0;
    let writes = 0;
    for (let frame = 0; frame < 60 * 60; frame++) {
      const due = Math.floor(((frame + 1) * frameMs * 5000) / 1000);
      while (seq < due) batcher.push(line(++seq));
      maxPending = Math.max(maxPending, batcher.pendingLines);
      if (frame % 30 !== 0) continue;
      const chunk = batcher.flush();
      if (!chunk) continue;
      writes++;
      const { seqs, markers } = readChunk(chunk.text);
      expect(seqs.length).toBeLessThanOrEqual(maxLinesPerFlush);
      written.push(...seqs);
      dropped += markers.reduce((a, b) => a + b, 0);
    }
    while (batcher.hasPending) {
      const { seqs, markers } = readChunk(batcher.flush()!.text);
      written.push(...seqs);
      dropped += markers.reduce((a, b) => a + b, 0);
    }
    expect(seq).toBe(300_000);
    expect(maxPending).toBeLessThanOrEqual(maxPendingLines);
    expect(writes).toBeLessThanOrEqual(120);
    expect(dropped).toBeGreaterThan(0);
    expect(written.length + dropped).toBe(seq);
    expect(dropped).toBe(batcher.droppedTotal);
    expect(written.every((s, i) => i === 0 || s > written[i - 1]!)).toBe(true); // i ≥ 1: written[i - 1] exists
    expect(written.at(-1)).toBe(seq);
  });

  it('refuses a bound below 1', () => {
    expect(() => new LogBatcher({ maxPendingLines: 0, maxLinesPerFlush: 1, format: plain })).toThrow(RangeError);
  });
});
