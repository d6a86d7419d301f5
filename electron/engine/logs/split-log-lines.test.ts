import { describe, expect, it } from 'vitest';
import { readSglangLog, readSglangRecords, SGLANG_LOG_FIXTURES } from '../../../test/fixtures/read-sglang-log.js';
import { LogLineSplitter, splitGluedRecords } from './split-log-lines.js';

function splitAll(chunks: string[]): string[] {
  const splitter = new LogLineSplitter();
  return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.flush()];
}

/** Deterministic PRNG (mulberry32) so a failing chunking can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(text: string, seed: number): string[] {
  const next = random(seed);
  const chunks: string[] = [];
  for (let at = 0; at < text.length;) {
    const size = 1 + Math.floor(next() * 97);
    chunks.push(text.slice(at, at + size));
    at += size;
  }
  return chunks;
}

describe('LogLineSplitter', () => {
  it.each(Object.values(SGLANG_LOG_FIXTURES))('gives the same lines for %s whatever the chunk sizes', (name) => {
    const text = readSglangLog(name);
    const whole = splitAll([text]);
    expect(whole.length).toBeGreaterThan(30);
    for (const seed of [1, 2, 3, 42, 1234]) expect(splitAll(randomChunks(text, seed))).toEqual(whole);
    expect(splitAll([...text])).toEqual(whole);
  });

  it('cuts the TP1 record glued onto the plain tqdm bar (tp4 L63)', () => {
    const l63 = readSglangRecords(SGLANG_LOG_FIXTURES.tp4)
      .filter((r) => r.line === 63)
      .map((r) => r.text);
    expect(l63).toHaveLength(2);
    expect(l63[0]).toMatch(/^ {2}0%\| +\| 0\/13 \[00:00<\?, \?it\/s\]$/);
    expect(l63[1]).toBe('[2025-03-08 12:29:21 TP1] Capture cuda graph begin. This can take up to several minutes. avail mem=1.45 GB');
  });

  it('splits the \\r refreshes and the glued IS_TBO record (docsci L37-38)', () => {
    const records = readSglangRecords(SGLANG_LOG_FIXTURES.docsci);
    expect(records.filter((r) => r.line === 37).map((r) => r.text)).toEqual([
      '  0%|          | 0/3 [00:00<?, ?it/s]',
      'Capturing batches (bs=4 avail_mem=58.77 GB):   0%|          | 0/3 [00:00<?, ?it/s]',
      '[2025-09-01 08:07:52] IS_TBO_ENABLED is not initialized, using False',
    ]);
    const l38 = records.filter((r) => r.line === 38).map((r) => r.text);
    expect(l38.map((t) => /^Capturing batches \(bs=(\d+)/.exec(t)?.[1])).toEqual(['4', '2', '1', '1']);
    expect(l38[3]).toMatch(/100%\|█+\| 3\/3 \[00:00<00:00, 11\.50it\/s\]$/);
  });

  it('drops blank lines and keeps one record per shard refresh (docsci L28-31)', () => {
    const records = readSglangRecords(SGLANG_LOG_FIXTURES.docsci).filter((r) => r.line >= 28 && r.line <= 31);
    expect(records.map((r) => r.line)).toEqual([28, 29, 30]);
    expect(records[0]?.text).toBe('Loading safetensors checkpoint shards:   0% Completed | 0/1 [00:00<?, ?it/s]');
  });

  it('handles \\r\\n split across chunks, bare \\r and empty pieces', () => {
    const splitter = new LogLineSplitter();
    expect(splitter.push('a\r')).toEqual(['a']);
    expect(splitter.push('\nb\n\n\r\n')).toEqual(['b']);
    expect(splitter.push('c\rd')).toEqual(['c']);
    expect(splitter.push('e')).toEqual([]);
    expect(splitter.flush()).toEqual(['de']);
    expect(splitter.flush()).toEqual([]);
  });

  it('shows the newest tqdm state as pending before the next refresh', () => {
    const splitter = new LogLineSplitter();
    expect(splitter.push('\rCapturing batches (bs=8 avail_mem=1.00 GB):  50%|#  | 1/2')).toEqual([]);
    expect(splitter.pending()).toBe('Capturing batches (bs=8 avail_mem=1.00 GB):  50%|#  | 1/2');
    expect(splitter.push('\r')).toEqual(['Capturing batches (bs=8 avail_mem=1.00 GB):  50%|#  | 1/2']);
    expect(splitter.pending()).toBe('');
  });

  it('emits an endless line once it passes the buffer cap', () => {
    const splitter = new LogLineSplitter();
    expect(splitter.push('x'.repeat(200 * 1024))).toEqual([]);
    const lines = splitter.push('y'.repeat(100 * 1024));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveLength(300 * 1024);
    expect(splitter.flush()).toEqual([]);
  });

  it('strips ANSI colour escapes', () => {
    const splitter = new LogLineSplitter();
    const lines = splitter.push('[2025-10-14 11:27:21] \x1b[32mINFO\x1b[0m:     Uvicorn running on http://0.0.0.0:30000 (Press CTRL+C to quit)\n\x1b[1;33mwarn\x1b[0m\n');
    expect(lines).toEqual(['[2025-10-14 11:27:21] INFO:     Uvicorn running on http://0.0.0.0:30000 (Press CTRL+C to quit)', 'warn']);
  });
});

describe('splitGluedRecords', () => {
  it.each([
    ['x 45/52 [01:06<00:10,  1.47s/it]', ['x 45/52 [01:06<00:10,  1.47s/it]']],
    ['bar [1:06:10<00:10, 1.4s/it]', ['bar [1:06:10<00:10, 1.4s/it]']],
    ['[2025-03-08 12:29:21 TP1] starts a line', ['[2025-03-08 12:29:21 TP1] starts a line']],
    ['bar[12:29:21 TP1] old format', ['bar', '[12:29:21 TP1] old format']],
    ['bar[2025-03-08 12:29:21 DP1 TP3] a[2025-03-08 12:29:22] b', ['bar', '[2025-03-08 12:29:21 DP1 TP3] a', '[2025-03-08 12:29:22] b']],
    ['x[2025-03-08 12:29:21 PP1 TP0] y', ['x', '[2025-03-08 12:29:21 PP1 TP0] y']],
  ])('%j', (text, pieces) => {
    expect(splitGluedRecords(text)).toEqual(pieces);
  });
});
