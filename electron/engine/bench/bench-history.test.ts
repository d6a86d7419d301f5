import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../shared/throughput.js';
import { BenchHistory } from './bench-history.js';

const RUN: BenchResult = { modelId: 'm', atMs: 1, tokPerS: 50, ttftMs: 90, tokens: 256, gpus: [0], powerLimitsW: [350], powerDrawW: 300, tokPerW: 0.1667 };
const dirs: string[] = [];
afterEach(() => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

describe('BenchHistory', () => {
  it('appends JSON lines (creating the state dir) and reads them back, skipping bad lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-history-'));
    dirs.push(dir);
    const file = join(dir, 'state', 'bench-history.jsonl');
    const history = await BenchHistory.open(file);
    await history.append(RUN);
    await appendFile(file, 'not json\n{"modelId":"x"}\n');
    await history.append({ ...RUN, atMs: 2 });
    expect((await readFile(file, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);
    const reopened = await BenchHistory.open(file);
    expect(reopened.all().map((r) => r.atMs)).toEqual([1, 2]);
  });

  it('keeps runs in memory without a file', async () => {
    const history = await BenchHistory.open(null);
    await history.append(RUN);
    expect(history.all()).toEqual([RUN]);
  });

  it('rotates at 1 MiB and reads the rotated runs back, oldest first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-history-'));
    dirs.push(dir);
    const file = join(dir, 'bench-history.jsonl');
    let text = '';
    let count = 0;
    // Up to the cap with less room left than a run takes (the appended one, atMs 1000000, is at least as long).
    for (; ; count++) {
      const line = `${JSON.stringify({ ...RUN, atMs: 1000 + count })}\n`;
      if (text.length + line.length > 1024 * 1024) break;
      text += line;
    }
    await writeFile(file, text);
    const history = await BenchHistory.open(file);
    await history.append({ ...RUN, atMs: 1_000_000 });
    expect((await readdir(dir)).sort()).toEqual(['bench-history.jsonl', 'bench-history.jsonl.1']);
    const runs = (await BenchHistory.open(file)).all();
    expect(runs).toHaveLength(1000);
    expect(runs.at(-1)!.atMs).toBe(1_000_000);
    expect(runs.at(-2)!.atMs).toBe(1000 + count - 1);
  });
});
