import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingJsonLines } from './rotating-json-lines.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotating-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Records whose lines all have the same length (LINE_BYTES), so sizes are exact. */
const rec = (n: number) => ({ n: 10000 + n, p: 'xxx' });
const LINE_BYTES = `${JSON.stringify(rec(0))}\n`.length;
const numbersIn = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { n: number }).n - 10000);

describe('RotatingJsonLines', () => {
  it('rotates when the next line would pass maxBytes, keeps `keep` old files and drops the oldest', async () => {
    const log = new RotatingJsonLines({ path: join(dir, 'h.jsonl'), maxBytes: LINE_BYTES * 3, keep: 2 });
    for (let i = 0; i < 11; i++) await log.append(rec(i));
    expect(await numbersIn(join(dir, 'h.jsonl'))).toEqual([9, 10]);
    expect(await numbersIn(join(dir, 'h.jsonl.1'))).toEqual([6, 7, 8]);
    expect(await numbersIn(join(dir, 'h.jsonl.2'))).toEqual([3, 4, 5]);
    expect((await readdir(dir)).sort()).toEqual(['h.jsonl', 'h.jsonl.1', 'h.jsonl.2']);
    expect((await log.readLines()).map((l) => JSON.parse(l).n - 10000)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('appends a batch as consecutive lines in one file, rotating before it when it would pass maxBytes', async () => {
    const log = new RotatingJsonLines({ path: join(dir, 'b.jsonl'), maxBytes: LINE_BYTES * 3, keep: 2 });
    await log.appendAll([rec(0), rec(1)]);
    await log.appendAll([]);
    await log.appendAll([rec(2), rec(3)]);
    expect(await numbersIn(join(dir, 'b.jsonl.1'))).toEqual([0, 1]);
    expect(await numbersIn(join(dir, 'b.jsonl'))).toEqual([2, 3]);
  });

  it('keeps concurrent appends in call order, one whole line each, across rotations', async () => {
    const log = new RotatingJsonLines({ path: join(dir, 'sub', 'h.jsonl'), maxBytes: LINE_BYTES * 10, keep: 3 });
    await Promise.all(Array.from({ length: 35 }, (_, i) => log.append(rec(i))));
    expect((await log.readLines()).map((l) => JSON.parse(l).n - 10000)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(await numbersIn(join(dir, 'sub', 'h.jsonl'))).toEqual([30, 31, 32, 33, 34]);
  });

  it('gives a line longer than maxBytes a file of its own', async () => {
    const log = new RotatingJsonLines({ path: join(dir, 'h.jsonl'), maxBytes: 10, keep: 2 });
    await log.append(rec(1));
    await log.append(rec(2));
    expect(await numbersIn(join(dir, 'h.jsonl'))).toEqual([2]);
    expect(await numbersIn(join(dir, 'h.jsonl.1'))).toEqual([1]);
  });

  it('applies the mode to new, existing and rotated files despite the umask', async () => {
    await writeFile(join(dir, 'h.jsonl'), '', { mode: 0o666 });
    await writeFile(join(dir, 'h.jsonl.2'), '', { mode: 0o644 });
    const log = new RotatingJsonLines({ path: join(dir, 'h.jsonl'), maxBytes: LINE_BYTES, keep: 2, mode: 0o640 });
    await log.prepare();
    for (let i = 0; i < 3; i++) await log.append(rec(i));
    const modes = await Promise.all(['h.jsonl', 'h.jsonl.1', 'h.jsonl.2'].map(async (f) => (await stat(join(dir, f))).mode & 0o777));
    expect(modes).toEqual([0o640, 0o640, 0o640]);
    await rm(join(dir, 'h.jsonl'));
    const prevUmask = process.umask(0o077);
    try {
      await log.append(rec(9));
    } finally {
      process.umask(prevUmask);
    }
    expect((await stat(join(dir, 'h.jsonl'))).mode & 0o777).toBe(0o640);
  });

  it('prepare creates the directory and an empty current file', async () => {
    const log = new RotatingJsonLines({ path: join(dir, 'a', 'b', 'h.jsonl'), maxBytes: 100, keep: 1, mode: 0o600, dirMode: 0o750 });
    await log.prepare();
    expect(await readFile(join(dir, 'a', 'b', 'h.jsonl'), 'utf8')).toBe('');
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o750);
  });

  it('loses nothing when a crash stopped a rotation between two renames', async () => {
    // keep=3, before the rotation: f=[9,10,11] f.1=[6,7,8] f.2=[3,4,5] f.3=[0,1,2]. The crash came after
    // f.2→f.3 and f.1→f.2 but before f→f.1: f.1 is missing.
    const path = join(dir, 'h.jsonl');
    const lines = (from: number) => [0, 1, 2].map((i) => `${JSON.stringify(rec(from + i))}\n`).join('');
    await writeFile(path, lines(9));
    await writeFile(`${path}.2`, lines(6));
    await writeFile(`${path}.3`, lines(3));
    const log = new RotatingJsonLines({ path, maxBytes: LINE_BYTES * 3, keep: 3 });
    // Read back in order across the gap, the current file intact.
    expect((await log.readLines()).map((l) => JSON.parse(l).n - 10000)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // The next rotation fills the gap instead of dropping anything.
    await log.append(rec(12));
    expect(await numbersIn(path)).toEqual([12]);
    expect(await numbersIn(`${path}.1`)).toEqual([9, 10, 11]);
    expect(await numbersIn(`${path}.2`)).toEqual([6, 7, 8]);
    expect(await numbersIn(`${path}.3`)).toEqual([3, 4, 5]);
  });

  it('starts a new current file when a crash came right after f→f.1', async () => {
    const path = join(dir, 'h.jsonl');
    const log = new RotatingJsonLines({ path, maxBytes: LINE_BYTES * 2, keep: 2 });
    for (let i = 0; i < 2; i++) await log.append(rec(i));
    await rename(path, `${path}.1`);
    await log.append(rec(2));
    expect((await log.readLines()).map((l) => JSON.parse(l).n - 10000)).toEqual([0, 1, 2]);
  });

  it('skips a torn last line only in what it reads; a failed append does not stop the next ones', async () => {
    const path = join(dir, 'h.jsonl');
    await writeFile(path, `${JSON.stringify(rec(0))}\n{"n":100`);
    const log = new RotatingJsonLines({ path, maxBytes: 1000, keep: 1 });
    expect(await log.readLines()).toEqual([JSON.stringify(rec(0)), '{"n":100']);
    const blocked = new RotatingJsonLines({ path: join(dir, 'h.jsonl', 'x.jsonl'), maxBytes: 1000, keep: 1 });
    await expect(blocked.append(rec(1))).rejects.toThrow(/ENOTDIR/);
    await blocked.flushed();
    await log.append(rec(2));
    expect((await readFile(path, 'utf8')).endsWith(`${JSON.stringify(rec(2))}\n`)).toBe(true);
  });

  it('refuses keep < 1 and a non-positive size', () => {
    expect(() => new RotatingJsonLines({ path: join(dir, 'x'), maxBytes: 10, keep: 0 })).toThrow(/keep/);
    expect(() => new RotatingJsonLines({ path: join(dir, 'x'), maxBytes: 0, keep: 1 })).toThrow(/maxBytes/);
  });
});
