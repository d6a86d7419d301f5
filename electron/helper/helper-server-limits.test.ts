import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from './audit-log.js';
import { startHelperServer, type HelperServer, type HelperServerOptions } from './helper-server.js';
import type { HelperDispatch } from './operations.js';
import type { PeerIds } from './peer-credentials.js';

const run = promisify(execFile);
let dir: string;
let socketPath: string;
let audit: AuditLog;
let server: HelperServer | undefined;
const clients: Client[] = [];
let releaseSlow: () => void = () => undefined;

/** status answers at once; restart waits until the test releases it; resetFailed answers 60 kB. */
const dispatch: HelperDispatch = async (request) => {
  if (request.op === 'restart') await new Promise<void>((r) => (releaseSlow = r));
  if (request.op === 'resetFailed') return { unit: 'x'.repeat(60_000) } as never;
  return { unit: 'sglang.service' } as never;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'helper-limits-'));
  socketPath = join(dir, 'h.sock');
  audit = await AuditLog.open(join(dir, 'audit.jsonl'));
});
afterEach(async () => {
  releaseSlow();
  for (const c of clients.splice(0)) c.socket.destroy();
  await server?.close();
  server = undefined;
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

const start = async (opts: Partial<HelperServerOptions>) => (server = await startHelperServer({ socketPath, gid: null, dispatch, audit, log: () => undefined, ...opts }));
const req = (id: number, op = 'status') => `${JSON.stringify({ v: 1, id, op })}\n`;
const waitUntil = (check: () => unknown) => vi.waitFor(() => expect(check()).toBeTruthy(), { timeout: 15_000, interval: 10 });
const auditEntries = async () =>
  (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** A connection that stays open and collects answer lines. */
class Client {
  readonly socket: Socket;
  readonly lines: any[] = [];
  ended = false;
  private text = '';
  constructor() {
    this.socket = connect(socketPath);
    this.socket.on('data', (d) => {
      this.text += d;
      const parts = this.text.split('\n');
      this.text = parts.pop()!;
      this.lines.push(...parts.filter(Boolean).map((l) => JSON.parse(l)));
    });
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('close', () => (this.ended = true));
    this.socket.on('error', () => undefined);
    clients.push(this);
  }
  /** Sends `line` and resolves to the next answer. */
  async ask(line: string): Promise<any> {
    const before = this.lines.length;
    this.socket.write(line);
    await waitUntil(() => this.lines.length > before || this.ended);
    return this.lines[before];
  }
}

/** A connection whose status was answered: admitted, and idle again afterwards. */
async function admitted(): Promise<Client> {
  const client = new Client();
  expect(await client.ask(req(1))).toMatchObject({ ok: true });
  return client;
}

/** Sends status from a separate node process (another pid) and resolves to its answer line. */
async function askFromOtherProcess(): Promise<any> {
  const script = `const s = require('node:net').connect(process.argv[1]); let t = '';
    s.on('connect', () => s.write(process.argv[2])); s.on('data', (d) => { t += d; if (t.includes('\\n')) { console.log(t.trim()); s.destroy(); } });`;
  return JSON.parse((await run(process.execPath, ['-e', script, socketPath, req(7)], { timeout: 10_000 })).stdout);
}

describe('connection limits (SO_PEERCRED of real connections)', () => {
  it('refuses a process past its cap with one busy line and closes, while another process is served', async () => {
    await start({ limits: { perProcess: 3, perUser: 10, total: 20 }, refusalIntervalMs: 60_000 });
    const held = [await admitted(), await admitted(), await admitted()];
    const refused = new Client();
    await waitUntil(() => refused.ended);
    expect(refused.lines).toEqual([{ v: 1, id: null, ok: false, error: { code: 'busy', message: expect.stringMatching(`pid ${process.pid} has 3, at most 3`) } }]);
    expect(await askFromOtherProcess()).toMatchObject({ id: 7, ok: true });
    // One held connection goes: this process may connect again.
    held[0]!.socket.destroy();
    await vi.waitFor(async () => expect(await new Client().ask(req(2))).toMatchObject({ ok: true }), { timeout: 15_000, interval: 20 });
    // The first refusal is audited at once, with the peer and its command name; later ones wait for the summary.
    await vi.waitFor(
      async () =>
        expect((await auditEntries()).filter((e) => e.op === 'refusedConnections')).toEqual([
          expect.objectContaining({
            peer: { pid: process.pid, uid: process.geteuid!(), gid: process.getegid!(), comm: expect.stringMatching(/\S/) },
            args: expect.objectContaining({ connections: 1, reasons: { process_limit: 1 } }),
          }),
        ]),
      { timeout: 15_000, interval: 20 },
    );
  });

  it('when full, closes the oldest idle connection of the user holding the most to let a new user in', async () => {
    const peers: PeerIds[] = [];
    const as = (uid: number) => peers.push({ pid: uid * 10 + peers.length, uid, gid: uid });
    await start({ readPeer: () => peers.shift() ?? null, limits: { perProcess: 10, perUser: 10, total: 4 } });
    as(1000);
    const a1 = await admitted();
    as(1000);
    const a2 = await admitted();
    as(1000);
    await admitted();
    as(2000);
    await admitted();
    as(3000);
    const newcomer = new Client();
    expect(await newcomer.ask(req(5))).toMatchObject({ id: 5, ok: true });
    await waitUntil(() => a1.ended);
    expect(a1.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringContaining('closed to make room') } });
    expect(a2.ended).toBe(false);
    // Now 1000 holds 2, as many as anyone with 1000's count: another of 1000 is refused, not let in by evicting.
    as(1000);
    const again = new Client();
    await waitUntil(() => again.ended);
    expect(again.lines[0]).toMatchObject({ error: { code: 'busy', message: expect.stringMatching(/4 connections open, its maximum/) } });
  });
});

describe('line timeout', () => {
  it('closes a connection that sends no complete line in time, dribbling bytes or not, with a timeout line', async () => {
    await start({ lineTimeoutMs: 300, refusalIntervalMs: 60_000 });
    const silent = new Client();
    const dribbler = new Client();
    let dribbled = 0;
    const drip = setInterval(() => {
      if (dribbler.ended) return;
      dribbler.socket.write('{');
      dribbled++;
    }, 20);
    try {
      await waitUntil(() => silent.ended && dribbler.ended);
    } finally {
      clearInterval(drip);
    }
    expect(dribbled).toBeGreaterThan(0);
    for (const c of [silent, dribbler]) expect(c.lines).toEqual([{ v: 1, id: null, ok: false, error: { code: 'timeout', message: 'no complete request line within 0.3 s; closing the connection' } }]);
    // The first is audited at once (the second is counted for the interval's summary).
    await vi.waitFor(
      async () => {
        const entry = (await auditEntries()).find((e) => e.op === 'refusedConnections');
        expect(entry).toMatchObject({ args: { reasons: { line_timeout: 1 } }, outcome: { error: { code: 'timeout' } } });
      },
      { timeout: 15_000, interval: 20 },
    );
  });

  it('does not cut a request that takes longer than the timeout, and re-arms after the answer', async () => {
    await start({ lineTimeoutMs: 300 });
    const slow = new Client();
    const answer = slow.ask(req(1, 'restart'));
    // Another connection opened now has timed out: the slow request ran past the timeout.
    const idle = new Client();
    await waitUntil(() => idle.ended);
    expect(slow.ended).toBe(false);
    releaseSlow();
    expect(await answer).toMatchObject({ id: 1, ok: true });
    await waitUntil(() => slow.ended);
    expect(slow.lines.at(-1)).toMatchObject({ error: { code: 'timeout' } });
  });

  it('drops a client that does not read its answers once the deadline passes', async () => {
    await start({ lineTimeoutMs: 300 });
    const deaf = new Client();
    deaf.socket.pause();
    deaf.socket.write(Array.from({ length: 31 }, (_, i) => req(i, 'resetFailed')).join(''));
    await vi.waitFor(async () => expect((await auditEntries()).filter((e) => e.op === 'refusedConnections')).toHaveLength(1), { timeout: 15_000, interval: 20 });
    const entries = await auditEntries();
    expect(entries.at(-1)).toMatchObject({ args: { reasons: { line_timeout: 1 } }, outcome: { error: { code: 'timeout', message: 'answers not read within 0.3 s' } } });
    // It stopped answering: fewer requests were run than sent.
    expect(entries.filter((e) => e.op === 'resetFailed').length).toBeLessThan(31);
    expect(await new Client().ask(req(2))).toMatchObject({ ok: true });
  });

  it('keeps serving after a churn of connect-and-close, with nothing to audit for it', async () => {
    await start({});
    for (let i = 0; i < 300; i++) {
      const s = connect(socketPath);
      s.on('error', () => undefined);
      await new Promise((r) => s.on('connect', r));
      s.destroy();
      await new Promise((r) => s.on('close', r));
    }
    expect(await askFromOtherProcess()).toMatchObject({ ok: true });
    expect(await new Client().ask(req(3))).toMatchObject({ ok: true });
    expect((await auditEntries()).map((e) => e.op)).toEqual(['status', 'status']);
  });
});
