import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SwapRecord } from '../../../shared/engine-state.js';
import { SwapHistory } from './swap-history.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const load = (modelId: string, atMs: number): SwapRecord => ({ atMs, action: 'load', modelId, slotId: 'gpu0', cause: 'request', outcome: 'ready', durationMs: 10 });

describe('SwapHistory', () => {
  it('writes every record in order; flushed() resolves once they are on disk; a new open reads them back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swap-history-'));
    const file = join(dir, 'state', 'swap-history.jsonl');
    const history = await SwapHistory.open(file);
    for (let i = 0; i < 50; i++) history.append(load(`m${i}`, i));
    await history.flushed();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as SwapRecord).modelId)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    const reopened = await SwapHistory.open(file);
    expect(reopened.recent(3).map((r) => r.modelId)).toEqual(['m47', 'm48', 'm49']);
  });

  it('skips bad lines and keeps the newest 1000 in memory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swap-history-'));
    const file = join(dir, 'swap-history.jsonl');
    const good = Array.from({ length: 1005 }, (_, i) => JSON.stringify(load(`m${i}`, i)));
    await writeFile(file, ['not json', '{"action":"load"}', ...good, '{"modelId":"x","atMs":1,"action":"explode"}', ''].join('\n'));
    const history = await SwapHistory.open(file);
    const all = history.recent(5000);
    expect(all).toHaveLength(1000);
    expect(all[0]!.modelId).toBe('m5');
    expect(history.recent(0)).toEqual([]);
  });

  it('reports an unreadable file and a write failure once each, and goes on in memory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swap-history-'));
    await writeFile(join(dir, 'blocker'), '');
    const errors: string[] = [];
    const history = await SwapHistory.open(join(dir, 'blocker', 'swap-history.jsonl'), (m) => errors.push(m));
    history.append(load('a', 1));
    history.append(load('b', 2));
    await history.flushed();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/cannot read .*starting empty/);
    expect(errors[1]).toMatch(/cannot write .*keeping it in memory only/);
    expect(history.recent(10).map((r) => r.modelId)).toEqual(['a', 'b']);
  });

  it('rotates at 1 MiB, keeps two old files, and reads the newest 1000 back across them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swap-history-'));
    const file = join(dir, 'swap-history.jsonl');
    /** Records from `from` on, as many as fit in 1 MiB, leaving less room than one of them (or the appended one) takes. */
    const filled = (from: number) => {
      let text = '';
      for (let i = from; ; i++) {
        const line = `${JSON.stringify(load(`m${i}`, i))}\n`;
        if (text.length + line.length > 1024 * 1024) return text;
        text += line;
      }
    };
    await writeFile(`${file}.2`, 'dropped at the next rotation\n');
    await writeFile(`${file}.1`, filled(0));
    await writeFile(file, filled(100_000));
    const history = await SwapHistory.open(file);
    history.append(load('newest', 200_000));
    await history.flushed();
    expect((await readdir(dir)).sort()).toEqual(['swap-history.jsonl', 'swap-history.jsonl.1', 'swap-history.jsonl.2']);
    expect(await readFile(`${file}.2`, 'utf8')).toBe(filled(0));
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(load('newest', 200_000))}\n`);
    const reopened = await SwapHistory.open(file);
    const recent = reopened.recent(5000);
    expect(recent).toHaveLength(1000);
    expect(recent.at(-1)!.modelId).toBe('newest');
    expect(recent.at(-2)!.atMs).toBeGreaterThan(100_000);
  });
});
