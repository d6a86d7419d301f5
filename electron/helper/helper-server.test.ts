import { link, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HelperError, MAX_REQUEST_BYTES, type HelperRequest } from '../../shared/helper-protocol.js';
import { AuditLog } from './audit-log.js';
import { HelperStartError, startHelperServer, type HelperServer } from './helper-server.js';
import type { HelperDispatch } from './operations.js';

let dir: string;
let audit: AuditLog;
let server: HelperServer | undefined;
const seen: HelperRequest[] = [];

/** Answers status; selectModel "boom" throws a plain error; "slow" waits for a release. */
const dispatch: HelperDispatch = async (request) => {
  seen.push(request);
  if (request.op === 'selectModel' && request.modelId === 'boom') throw new TypeError('cannot read properties of undefined');
  if (request.op === 'selectModel' && request.modelId === 'missing') throw new HelperError('unknown_model', 'no model "missing"');
  if (request.op === 'selectModel' && request.modelId === 'slow') await new Promise((r) => setTimeout(r, 200));
  return { unit: 'sglang.service' } as never;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'helper-server-'));
  audit = await AuditLog.open(join(dir, 'audit.jsonl'));
  seen.length = 0;
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

const start = async () => (server = await startHelperServer({ socketPath: join(dir, 'h.sock'), gid: null, dispatch, audit, readPeer: () => null, log: () => undefined }));
const req = (id: number, op: string, extra: Record<string, unknown> = {}) => `${JSON.stringify({ v: 1, id, op, ...extra })}\n`;

/** Sends `chunks` (one write each), half-closes when `end`, and collects answer lines until the server closes or `lines` arrive. */
function exchange(chunks: (string | Buffer)[], opts: { lines?: number; end?: boolean } = {}): Promise<{ lines: any[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(dir, 'h.sock'));
    let text = '';
    const done = (closedByServer: boolean) => {
      socket.destroy();
      resolve({
        lines: text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
        closedByServer,
      });
    };
    socket.on('connect', async () => {
      for (const c of chunks) {
        // The server may have answered and closed already (an oversized line): stop writing.
        if (socket.destroyed || !socket.writable) break;
        socket.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (opts.end) socket.end();
    });
    socket.on('data', (d) => {
      text += d;
      if (opts.lines !== undefined && text.split('\n').filter(Boolean).length >= opts.lines) done(false);
    });
    socket.on('end', () => done(true));
    // A write racing the server's close fails with EPIPE/ECONNRESET: that is the server closing.
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? done(true) : reject(err)));
  });
}

const auditLines = async () =>
  (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('helper server', () => {
  it('creates the socket with mode 0660', async () => {
    await start();
    expect((await stat(join(dir, 'h.sock'))).mode & 0o777).toBe(0o660);
  });

  it('answers pipelined requests in order, even split across writes', async () => {
    await start();
    const line = req(1, 'status') + req(2, 'selectModel', { modelId: 'slow' }) + req(3, 'restart');
    const { lines } = await exchange([line.slice(0, 10), line.slice(10, 40), line.slice(40)], { lines: 3 });
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
  });

  it('answers a client that half-closes after its request', async () => {
    await start();
    const { lines, closedByServer } = await exchange([req(1, 'status')], { end: true });
    expect(lines).toEqual([{ v: 1, id: 1, ok: true, result: { unit: 'sglang.service' } }]);
    expect(closedByServer).toBe(true);
  });

  it('turns an unexpected exception into internal and keeps serving', async () => {
    await start();
    const { lines } = await exchange([req(1, 'selectModel', { modelId: 'boom' }), req(2, 'status')], { lines: 2 });
    expect(lines[0]).toMatchObject({ id: 1, ok: false, error: { code: 'internal', message: expect.stringContaining('cannot read properties') } });
    expect(lines[1]).toMatchObject({ id: 2, ok: true });
  });

  it('refuses bad lines on a connection and keeps it open', async () => {
    await start();
    const { lines } = await exchange(['{oops\n', req(2, 'nope'), req(3, 'selectModel', { modelId: 'missing' }), req(4, 'status')], { lines: 4 });
    expect(lines.map((l) => l.error?.code ?? 'ok')).toEqual(['bad_request', 'unknown_op', 'unknown_model', 'ok']);
    expect(seen.map((r) => r.op)).toEqual(['selectModel', 'status']);
  });

  it('answers an oversized line with too_large and closes that connection only', async () => {
    await start();
    const huge = Buffer.alloc(MAX_REQUEST_BYTES + 10, 'a');
    const { lines, closedByServer } = await exchange([huge, req(2, 'status')]);
    expect(lines).toEqual([{ v: 1, id: null, ok: false, error: { code: 'too_large', message: expect.stringContaining(`${MAX_REQUEST_BYTES} bytes`) } }]);
    expect(closedByServer).toBe(true);
    expect(seen).toEqual([]);
    expect((await exchange([req(3, 'status')], { lines: 1 })).lines[0]).toMatchObject({ id: 3, ok: true });
    const [entry] = await auditLines();
    expect(entry).toMatchObject({ op: null, args: { bytes: MAX_REQUEST_BYTES + 10, rawTruncated: true }, outcome: { ok: false, error: { code: 'too_large' } } });
  });

  it('reads (and judges) a line of exactly the limit instead of refusing it as too large', async () => {
    await start();
    const pad = MAX_REQUEST_BYTES - req(1, 'status', { p: '' }).length + 1;
    const { lines } = await exchange([req(1, 'status', { p: 'x'.repeat(pad) })], { lines: 1 });
    expect(lines[0].error.code).toBe('bad_request');
  });

  it('audits each request with op, args and outcome', async () => {
    await start();
    await exchange([req(1, 'selectModel', { modelId: 'slow' }), req(2, 'stop', { unit: 'sglang.service' })], { lines: 2 });
    const entries = await auditLines();
    expect(entries).toEqual([
      { time: expect.any(String), peer: null, op: 'selectModel', args: { modelId: 'slow' }, outcome: { ok: true } },
      { time: expect.any(String), peer: null, op: 'stop', args: { unit: 'sglang.service' }, outcome: { ok: true } },
    ]);
  });

  it('serves connections concurrently', async () => {
    await start();
    const slow = exchange([req(1, 'selectModel', { modelId: 'slow' })], { lines: 1 });
    const quick = await exchange([req(2, 'status')], { lines: 1 });
    expect(seen.map((r) => r.op)).toEqual(['selectModel', 'status']);
    expect(quick.lines[0]).toMatchObject({ id: 2, ok: true });
    expect((await slow).lines[0]).toMatchObject({ id: 1, ok: true });
  });
});

describe('claiming the socket path', () => {
  it('refuses to start while another helper answers on it, naming its pid', async () => {
    const statusDispatch: HelperDispatch = async () => ({ pid: 4242 }) as never;
    server = await startHelperServer({ socketPath: join(dir, 'h.sock'), gid: null, dispatch: statusDispatch, audit, readPeer: () => null });
    await expect(start()).rejects.toThrow(new HelperStartError(`another helper is running (pid 4242) on ${join(dir, 'h.sock')}`));
    expect((await exchange([req(1, 'status')], { lines: 1 })).lines[0]).toMatchObject({ ok: true, result: { pid: 4242 } });
  });

  it('replaces a stale socket left by a dead helper', async () => {
    const stale = createServer();
    await new Promise<void>((r) => stale.listen(join(dir, 'dead.sock'), r));
    // A second name for the socket outlives close (which unlinks only the bound name): a socket file nobody listens on.
    await link(join(dir, 'dead.sock'), join(dir, 'h.sock'));
    await new Promise((r) => stale.close(r));
    expect((await stat(join(dir, 'h.sock'))).isSocket()).toBe(true);
    await start();
    expect((await exchange([req(1, 'status')], { lines: 1 })).lines[0]).toMatchObject({ ok: true });
  });

  it('refuses a path that is not a socket', async () => {
    await writeFile(join(dir, 'h.sock'), 'x');
    await expect(start()).rejects.toThrow(/exists and is not a socket/);
  });
});
