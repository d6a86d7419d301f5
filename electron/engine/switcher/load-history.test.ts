import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadRecord } from '../../../shared/engine-state.js';
import { LoadHistory } from './load-history.js';

let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

const rec = (modelId: string, startedAtMs: number): LoadRecord => ({
  modelId, startedAtMs, endedAtMs: startedAtMs + 500, outcome: 'ready', cause: 'manual', phaseMs: { weights: 400, warmup: 100 },
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
});
