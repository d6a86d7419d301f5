import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../../shared/engine-state.js';
import { LoadHistory } from './load-history.js';

let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

const rec = (modelId: string, startedAtMs: number): LoadRecord => ({
  modelId,
  startedAtMs,
  endedAtMs: startedAtMs + 500,
  outcome: 'ready',
  cause: 'manual',
  phaseMs: { weights: 400, warmup: 100 },
});

describe('LoadHistory', () => {
  it('appends JSON lines and reads them back per model after a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-'));
    const file = join(dir, 'state', 'load-history.jsonl');
    const first = await LoadHistory.open(file);
    await first.append(rec('a', 1));
    await first.append(rec('b', 2));
    await first.append(rec('a', 3));
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(3);
    const reopened = await LoadHistory.open(file);
    expect(reopened.recordsOf('a').map((r) => r.startedAtMs)).toEqual([1, 3]);
    expect(reopened.recordsOf('b')).toHaveLength(1);
    expect(reopened.recordsOf('c')).toEqual([]);
  });

  it('skips a torn last line and lines that are not records, keeping the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-'));
    const file = join(dir, 'load-history.jsonl');
    await writeFile(file, `${JSON.stringify(rec('a', 1))}\n{"modelId":"a"}\nnot json\n${JSON.stringify(rec('a', 2)).slice(0, 20)}`);
    const history = await LoadHistory.open(file);
    expect(history.recordsOf('a').map((r) => r.startedAtMs)).toEqual([1]);
  });

  it('rotates at 1 MiB and reads the rotated files back, so the older loads of a model survive the rotation', async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-'));
    const file = join(dir, 'load-history.jsonl');
    // Model "a" loaded long ago, then many loads of others fill the file to just under its cap.
    const lines = [rec('a', 1), rec('a', 2)].map((r) => `${JSON.stringify(r)}\n`);
    let bytes = lines.join('').length;
    // Up to the cap with less room left than a record takes (the appended one is longer than these).
    for (let t = 3; ; t++) {
      const line = `${JSON.stringify(rec(`m${t % 7}`, t))}\n`;
      if (bytes + line.length > 1024 * 1024) break;
      lines.push(line);
      bytes += line.length;
    }
    await writeFile(file, lines.join(''));
    const history = await LoadHistory.open(file);
    await history.append(rec('a', 10_000_000));
    expect((await readdir(dir)).sort()).toEqual(['load-history.jsonl', 'load-history.jsonl.1']);
    expect((await stat(`${file}.1`)).size).toBeLessThanOrEqual(1024 * 1024);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
    const reopened = await LoadHistory.open(file);
    expect(reopened.recordsOf('a').map((r) => r.startedAtMs)).toEqual([1, 2, 10_000_000]);
    expect(reopened.recordsOf('m3')).toHaveLength(50);
  });

  it('reads the oldest rotated file first, so the newest records are the ones kept', async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-'));
    const file = join(dir, 'load-history.jsonl');
    const write = (path: string, from: number, to: number) => writeFile(path, Array.from({ length: to - from }, (_, i) => `${JSON.stringify(rec('a', from + i))}\n`).join(''));
    await write(`${file}.3`, 0, 40);
    await write(`${file}.2`, 40, 60);
    await write(`${file}.1`, 60, 80);
    await write(file, 80, 90);
    const history = await LoadHistory.open(file);
    expect(history.recordsOf('a').map((r) => r.startedAtMs)).toEqual(Array.from({ length: 50 }, (_, i) => 40 + i));
  });
});
