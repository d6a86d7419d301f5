import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from './audit-log.js';
import { ConnectionRefusalLog } from './connection-refusal-log.js';

let dir: string;
let audit: AuditLog;
let refusals: ConnectionRefusalLog | undefined;
const stderr: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refusals-'));
  audit = await AuditLog.open(join(dir, 'audit.jsonl'));
  stderr.length = 0;
});
afterEach(async () => {
  await refusals?.close();
  refusals = undefined;
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

const entries = async () =>
  (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const waitForEntries = (n: number) => vi.waitFor(async () => expect(await entries()).toHaveLength(n), { timeout: 10_000, interval: 20 });
const me = { pid: process.pid, uid: 1000, gid: 1000 };

describe('ConnectionRefusalLog', () => {
  it('writes the first refusal of a user at once, then one summary per interval, then goes quiet', async () => {
    refusals = new ConnectionRefusalLog({ audit, log: (l) => stderr.push(l), intervalMs: 100 });
    refusals.record(me, 'process_limit', 'too many connections from this process');
    await waitForEntries(1);
    for (let i = 0; i < 999; i++) refusals.record(me, 'process_limit', 'too many connections from this process');
    refusals.record(me, 'line_timeout', 'no complete request line within 10 s; closing the connection');
    await waitForEntries(2);
    const [first, summary] = await entries();
    expect(first).toEqual({
      time: expect.any(String),
      peer: { ...me, comm: expect.stringMatching(/\S/) },
      op: 'refusedConnections',
      args: { connections: 1, reasons: { process_limit: 1 }, pids: [process.pid], since: expect.any(String) },
      outcome: { ok: false, error: { code: 'busy', message: 'too many connections from this process' } },
    });
    expect(summary).toMatchObject({
      op: 'refusedConnections',
      args: { connections: 1000, reasons: { process_limit: 999, line_timeout: 1 }, pids: [process.pid] },
      outcome: { ok: false, error: { code: 'timeout' } },
    });
    expect(stderr).toEqual([
      expect.stringMatching(/^closed 1 connection of uid 1000 unserved since .*\(process_limit 1\)/),
      expect.stringMatching(/^closed 1000 connections of uid 1000 .*\(process_limit 999, line_timeout 1\)/),
    ]);
    // A quiet interval closes the window: the next refusal is written at once again.
    await vi.waitFor(() => expect((refusals as unknown as { windows: Map<unknown, unknown> }).windows.size).toBe(0), { timeout: 10_000, interval: 20 });
    refusals.record(me, 'user_limit', 'too many connections from this user');
    await waitForEntries(3);
    expect((await entries())[2]).toMatchObject({ args: { connections: 1, reasons: { user_limit: 1 } } });
  });

  it('keeps one window per user, unidentified peers sharing one, and bounds the pids it names', async () => {
    refusals = new ConnectionRefusalLog({ audit, log: (l) => stderr.push(l), intervalMs: 60_000 });
    refusals.record({ pid: 100, uid: 1000, gid: 1 }, 'process_limit', 'x');
    refusals.record({ pid: 200, uid: 2000, gid: 1 }, 'evicted', 'y');
    refusals.record(null, 'total_limit', 'z');
    for (let pid = 101; pid <= 120; pid++) refusals.record({ pid, uid: 1000, gid: 1 }, 'process_limit', 'x');
    refusals.record(null, 'total_limit', 'z');
    await refusals.close();
    refusals = undefined;
    const lines = await entries();
    expect(lines.map((e) => [e.peer?.uid ?? null, e.args.connections])).toEqual([
      [1000, 1],
      [2000, 1],
      [null, 1],
      [1000, 20],
      [null, 1],
    ]);
    const bigger = lines[3];
    expect(bigger.args.pids).toEqual(Array.from({ length: 16 }, (_, i) => 101 + i));
    expect(bigger.args.morePids).toBe(4);
    expect(bigger.peer).toEqual({ pid: 101, uid: 1000, gid: 1, comm: expect.any(String) });
    expect(lines[1].outcome.error.code).toBe('busy');
  });
});
