import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditArgs, auditRaw } from './audit-log.js';

describe('AuditLog', () => {
  it('appends one JSON line per entry to a 0640 file, keeping what was there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    const path = join(dir, 'log', 'helper-audit.jsonl');
    const first = await AuditLog.open(path);
    await first.append({ time: 't1', peer: null, op: 'status', args: {}, outcome: { ok: true } });
    await first.close();
    const log = await AuditLog.open(path);
    await Promise.all([1, 2, 3].map((i) => log.append({ time: `t${i + 1}`, peer: { pid: i, uid: 0, gid: 0, comm: 'x' }, op: 'stop', args: {}, outcome: { ok: true } })));
    await log.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).time).sort()).toEqual(['t1', 't2', 't3', 't4']);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    await rm(dir, { recursive: true, force: true });
  });

  it('tightens an existing log to 0640', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    const path = join(dir, 'a.jsonl');
    await writeFile(path, '', { mode: 0o666 });
    await (await AuditLog.open(path)).close();
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates by size, keeps `keep` old files, every one of them 0640', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-'));
    const path = join(dir, 'a.jsonl');
    await writeFile(`${path}.1`, '', { mode: 0o644 }); // left by an older helper or by hand
    const entry = (i: number) => ({ time: `t${String(i).padStart(3, '0')}`, peer: { pid: 4242, uid: 1000, gid: 1000, comm: 'node' }, op: 'status', args: {}, outcome: { ok: true } as const });
    const lineBytes = JSON.stringify(entry(0)).length + 1;
    const prevUmask = process.umask(0o022);
    try {
      const log = await AuditLog.open(path, { maxBytes: lineBytes * 4, keep: 2 });
      expect((await stat(`${path}.1`)).mode & 0o777).toBe(0o640);
      for (let i = 0; i < 14; i++) await log.append(entry(i));
      await log.close();
    } finally {
      process.umask(prevUmask);
    }
    expect((await readdir(dir)).sort()).toEqual(['a.jsonl', 'a.jsonl.1', 'a.jsonl.2']);
    const times = async (f: string) =>
      (await readFile(join(dir, f), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).time);
    expect(await times('a.jsonl.2')).toEqual(['t004', 't005', 't006', 't007']);
    expect(await times('a.jsonl.1')).toEqual(['t008', 't009', 't010', 't011']);
    expect(await times('a.jsonl')).toEqual(['t012', 't013']);
    for (const f of await readdir(dir)) expect((await stat(join(dir, f))).mode & 0o777, f).toBe(0o640);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('audit arguments', () => {
  it('drops the envelope of a request', () => {
    expect(auditArgs({ v: 1, id: 3, op: 'selectModel', modelId: 'a' })).toEqual({ modelId: 'a' });
  });
  it('bounds the raw text of an unreadable line', () => {
    expect(auditRaw('x'.repeat(300), 300)).toEqual({ raw: 'x'.repeat(256), rawTruncated: true, bytes: 300 });
    expect(auditRaw('{oops', 5)).toEqual({ raw: '{oops', bytes: 5 });
  });
});
