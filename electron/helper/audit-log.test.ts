import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
