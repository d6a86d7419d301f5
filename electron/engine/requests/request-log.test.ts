import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../shared/request-log.js';
import { RequestLog, toRecord } from './request-log.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'request-log-'));
  dirs.push(dir);
  return join(dir, 'requests.jsonl');
}

function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    atMs: 1000,
    client: '127.0.0.1',
    route: '/v1/chat/completions',
    model: 'chat',
    stream: true,
    status: 200,
    error: null,
    waitedMs: 0,
    ttftMs: 50,
    durationMs: 500,
    promptTokens: 10,
    completionTokens: 20,
    ...over,
  };
}

describe('RequestLog', () => {
  it('lists newest first with every filter, and keeps only the newest `kept` in memory', async () => {
    const log = await RequestLog.open({ file: null, kept: 4 });
    log.record(record({ atMs: 1, model: 'old' }));
    log.record(record({ atMs: 2, status: 404, model: null, error: 'model_not_found' }));
    log.record(record({ atMs: 3, client: '10.0.0.2' }));
    log.record(record({ atMs: 4, status: 503, error: 'ready_timeout' }));
    log.record(record({ atMs: 5, model: 'coder' }));
    expect(log.list().map((r) => r.atMs)).toEqual([5, 4, 3, 2]);
    expect(log.list({ status: '4xx' }).map((r) => r.atMs)).toEqual([2]);
    expect(log.list({ status: '503' }).map((r) => r.atMs)).toEqual([4]);
    expect(log.list({ model: 'chat' }).map((r) => r.atMs)).toEqual([4, 3]);
    expect(log.list({ client: '10.0.0.2' }).map((r) => r.atMs)).toEqual([3]);
    expect(log.list({ sinceMs: 3, untilMs: 5 }).map((r) => r.atMs)).toEqual([4, 3]);
    expect(log.list({ limit: 1 }).map((r) => r.atMs)).toEqual([5]);
  });

  it('appends JSON lines to the file and reads them back on the next open, skipping torn lines', async () => {
    const file = await tempFile();
    const log = await RequestLog.open({ file });
    log.record(record({ atMs: 1 }));
    log.record(record({ atMs: 2 }));
    await log.flushed();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as RequestRecord).atMs)).toEqual([1, 2]);
    await writeFile(file, `${lines.join('\n')}\n{"atMs":3,"sta\n`);
    const again = await RequestLog.open({ file });
    expect(again.list().map((r) => r.atMs)).toEqual([2, 1]);
  });

  it('rotates by size and reports a write error once, then keeps to memory', async () => {
    const file = await tempFile();
    const log = await RequestLog.open({ file, maxFileBytes: 600 });
    for (let i = 0; i < 6; i++) log.record(record({ atMs: i }));
    await log.flushed();
    expect((await readFile(`${file}.1`, 'utf8')).length).toBeGreaterThan(0);
    const errors: string[] = [];
    const broken = await RequestLog.open({ file: join(file, 'not-a-dir', 'requests.jsonl'), onError: (m) => errors.push(m) });
    broken.record(record());
    broken.record(record());
    await broken.flushed();
    // Reading failed too (a file where a folder should be), and says so; the write error comes once.
    expect(errors[0]).toMatch(/^request log: cannot read .*; starting empty$/);
    expect(errors.slice(1)).toEqual([expect.stringMatching(/^request log: cannot write .*; keeping it in memory only$/)]);
    expect(broken.list()).toHaveLength(2);
  });

  it('rounds times to 0.1 ms when turning an outcome into a record', () => {
    const outcome = {
      route: '/v1/models',
      model: null,
      status: 200,
      durationMs: 1.234,
      startedAtMs: 5,
      client: null,
      stream: null,
      waitedMs: null,
      ttftMs: 0.06,
      promptTokens: null,
      completionTokens: null,
      error: null,
    };
    expect(toRecord(outcome)).toEqual({
      atMs: 5,
      client: null,
      route: '/v1/models',
      model: null,
      stream: null,
      status: 200,
      error: null,
      waitedMs: null,
      ttftMs: 0.1,
      durationMs: 1.2,
      promptTokens: null,
      completionTokens: null,
    });
  });
});
