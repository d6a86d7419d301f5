// Issue 14, part 4: a body over the router's limit gets a 413 that every client can read. The
// router answers at once and then lingers (linger-close.ts): it keeps reading and discarding the
// rest of the upload for a bounded time and size before it closes, so a client still writing
// never runs into a reset socket (EPIPE/ECONNRESET) before it has read the answer.
//
// The openai and undici clients run in a child process: in the router's own event loop the
// client reads its socket before the server's close lands, and the race hardly ever shows.

import { execFile, type ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LINGER_BOUNDS, lingerClose, type LingerBounds } from '../../electron/engine/router/linger-close.js';
import { MAX_BODY_BYTES } from '../../electron/engine/router/router-routes.js';
import { startRouterHost, type RouterHost } from './support/router-host.js';

const MIB = 1024 * 1024;
const OVER = MAX_BODY_BYTES + MIB;
const CHAT = '/v1/chat/completions';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The server side of every connection, found by the test id header each request carries.
const serverSockets = new Map<string, Socket>();
const onRequestStart = (message: unknown): void => {
  const { request: req, socket } = message as { request: IncomingMessage; socket: Socket };
  const id = req.headers['x-test-id'];
  if (typeof id === 'string') serverSockets.set(id, socket);
};
let nextId = 0;
const testId = (): string => `t${++nextId}`;

/** Resolves once the server's socket for `id` has closed (its fd is gone), with when. */
function serverClosed(id: string): Promise<number> {
  const socket = serverSockets.get(id);
  if (!socket) throw new Error(`no server socket seen for ${id}`);
  if (socket.closed) return Promise.resolve(Date.now());
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now())));
}

let host: RouterHost;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  subscribe('http.server.request.start', onRequestStart);
  host = await startRouterHost([{ id: 'alpha' }]);
});
afterAll(async () => {
  unsubscribe('http.server.request.start', onRequestStart);
  await host?.close();
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  serverSockets.clear();
});

// Runs `count` uploads of `bytes` one after another in a child process; prints one outcome each.
const CLIENT = `
import OpenAI from 'openai';
import { request } from 'undici';
import { Readable } from 'node:stream';
const [base, kind, count, bytes, idPrefix] = process.argv.slice(1);
const size = Number(bytes);
const body = Buffer.alloc(size, 'x');
const content = body.toString('latin1');
const outcomes = [];
for (let i = 0; i < Number(count); i++) {
  const headers = { 'content-type': 'application/json', 'x-test-id': idPrefix + i };
  if (kind === 'openai') {
    const client = new OpenAI({ baseURL: base + '/v1', apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-test-id': idPrefix + i } });
    const err = await client.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content }] }).then(() => null, (e) => e);
    if (err instanceof OpenAI.APIConnectionError) outcomes.push('connection error: ' + (err.cause?.message ?? err.message));
    else if (err instanceof OpenAI.APIError) outcomes.push(err.status + ' ' + err.code);
    else outcomes.push('other: ' + String(err));
  } else {
    const chunked = () => Readable.from((function* () { for (let at = 0; at < size; at += 1048576) yield body.subarray(at, at + 1048576); })());
    const outcome = await request(base + '${CHAT}', { method: 'POST', headers, body: kind === 'chunked' ? chunked() : body }).then(
      async (res) => res.statusCode + ' ' + (await res.body.json()).error?.code + ' connection: ' + res.headers.connection,
      (e) => 'connection error: ' + e.message,
    );
    outcomes.push(outcome);
  }
}
process.stdout.write(JSON.stringify(outcomes));
`;

function runClients(kind: 'openai' | 'content-length' | 'chunked', count: number, idPrefix: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', CLIENT, host.url, kind, String(count), String(OVER), idPrefix],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 1 * MIB },
      (err, stdout, stderr) => {
        children.delete(child);
        if (err) return reject(new Error(`client failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as string[]);
      },
    );
    children.add(child);
  });
}

const countFailures = (outcomes: string[], expected: string): string => {
  const failed = outcomes.filter((o) => o !== expected);
  return `${failed.length} of ${outcomes.length} uploads failed: ${JSON.stringify(failed)}`;
};

describe('router: a body over the limit gets a readable 413', () => {
  it('the openai client gets APIError 413 request_too_large, never a connection error (20 uploads of 33 MiB)', async () => {
    const outcomes = await runClients('openai', 20, 'openai-');
    expect(outcomes, countFailures(outcomes, '413 request_too_large')).toEqual(Array(20).fill('413 request_too_large'));
    for (let i = 0; i < 20; i++) await serverClosed(`openai-${i}`);
  });

  it('undici with content-length: 413 with connection: close, and the server closes the connection', async () => {
    const outcomes = await runClients('content-length', 20, 'cl-');
    const expected = '413 request_too_large connection: close';
    expect(outcomes, countFailures(outcomes, expected)).toEqual(Array(20).fill(expected));
    for (let i = 0; i < 20; i++) await serverClosed(`cl-${i}`);
  });

  it('undici with chunked transfer-encoding: 413 once the limit is passed, and the server closes the connection', async () => {
    const outcomes = await runClients('chunked', 10, 'chunked-');
    const expected = '413 request_too_large connection: close';
    expect(outcomes, countFailures(outcomes, expected)).toEqual(Array(10).fill(expected));
    for (let i = 0; i < 10; i++) await serverClosed(`chunked-${i}`);
  });

  it('a client that sends its whole body after the 413 reads the answer and a clean close; the server closes right after the last byte', async () => {
    const id = testId();
    const conn = await rawConnection(host.url);
    conn.socket.write(head(id, OVER));
    await conn.response;
    await writeAll(conn.socket, Buffer.alloc(OVER, 'x'));
    const sentAt = Date.now();
    const closedAt = await serverClosed(id);
    expect(closedAt - sentAt).toBeLessThan(LINGER_BOUNDS.idleTimeoutMs / 2);
    conn.socket.end();
    await conn.closed;
    expect(conn.error()).toBeNull();
    expect(conn.text()).toMatch(/^HTTP\/1\.1 413 /);
    expect(conn.text()).toMatch(/connection: close/i);
    expect(conn.text()).toContain('request_too_large');
    expect(conn.ended()).toBe(true);
  });

  it('a client that goes silent mid-body gets the 413 and our FIN at once, and is cut after the per-read bound', async () => {
    const id = testId();
    const conn = await rawConnection(host.url);
    conn.socket.write(head(id, OVER));
    await writeAll(conn.socket, Buffer.alloc(MIB, 'x'));
    await conn.response;
    await conn.finReceived;
    const silentAt = Date.now();
    const closedAt = await serverClosed(id);
    // Cut by the per-read bound: not at once (that was the old close), not much later.
    expect(closedAt - silentAt).toBeGreaterThanOrEqual(LINGER_BOUNDS.idleTimeoutMs - 500);
    expect(closedAt - silentAt).toBeLessThan(LINGER_BOUNDS.idleTimeoutMs + 2_000);
    expect(conn.text()).toContain('request_too_large');
    conn.socket.destroy();
  });

  it('the admin API answers its own size limit (400) to a client still uploading, reads the rest and keeps the connection', async () => {
    const outcomes: string[] = [];
    for (const framing of ['content-length', 'chunked'] as const) {
      for (let i = 0; i < 5; i++) {
        const conn = await rawConnection(host.url);
        const length = framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${4 * MIB}`;
        conn.socket.write(`POST /api/stop HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: ${host.adminHeaders.authorization!}\r\n${length}\r\n\r\n`);
        const uploaded = writeAll(conn.socket, framing === 'chunked' ? chunked(4 * MIB) : Buffer.alloc(4 * MIB, ' '));
        await conn.response;
        // A guard, not a wait: before the fix the server stopped reading and the upload hung.
        const stalled = await Promise.race([uploaded.then(() => false), failAfter(3_000)]);
        let outcome = conn.error() ? `connection error: ${conn.error()!.message}` : (/^HTTP\/1\.1 (\d+)/.exec(conn.text())?.[1] ?? 'no response');
        if (stalled) outcome += ', upload stalled';
        else if (!conn.error()) {
          // The whole body was read: the connection serves the next request.
          conn.socket.write('GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
          await conn.waitForText(/HTTP\/1\.1 200 /).catch(() => (outcome += ', then closed'));
        }
        outcomes.push(`${framing}: ${outcome}`);
        conn.socket.destroy();
      }
    }
    const failed = outcomes.filter((o) => !/: 400$/.test(o));
    expect(failed, `${failed.length} of ${outcomes.length} uploads failed: ${JSON.stringify(failed)}`).toEqual([]);
    expect(outcomes[0]).toBe('content-length: 400');
  });
});

describe('lingerClose bounds', () => {
  let server: Server | undefined;
  let url = '';
  let bounds: LingerBounds = LINGER_BOUNDS;
  const TEXT = '{"error":"too large"}';
  beforeAll(async () => {
    server = createServer((req, res) => {
      lingerClose(req, bounds);
      res.writeHead(413, { 'content-type': 'application/json', 'content-length': TEXT.length, connection: req.headers['x-keep-alive'] ? 'keep-alive' : 'close' });
      res.end(TEXT);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('a client that keeps writing past maxBytes is cut, after it has read the answer', async () => {
    bounds = { maxTimeMs: 60_000, idleTimeoutMs: 60_000, maxBytes: 8 * MIB };
    const id = testId();
    const conn = await rawConnection(url);
    conn.socket.write(head(id, 1024 * MIB));
    await conn.response;
    const written = await writeUntilClosed(conn.socket);
    await serverClosed(id);
    expect(written).toBeGreaterThan(8 * MIB);
    expect(written).toBeLessThan(1024 * MIB);
    expect(conn.text()).toContain('too large');
  });

  it('a client that trickles is cut after maxTimeMs', async () => {
    bounds = { maxTimeMs: 1_000, idleTimeoutMs: 60_000, maxBytes: 256 * MIB };
    const id = testId();
    const conn = await rawConnection(url);
    const start = Date.now();
    conn.socket.write(head(id, 1024 * MIB));
    await conn.response;
    const trickle = setInterval(() => conn.socket.writable && conn.socket.write(Buffer.alloc(1024, 'x')), 50);
    try {
      const closedAt = await serverClosed(id);
      expect(closedAt - start).toBeGreaterThanOrEqual(900);
      expect(closedAt - start).toBeLessThan(3_000);
    } finally {
      clearInterval(trickle);
      conn.socket.destroy();
    }
  });

  it('closing the server ends a lingering socket at once and leaves no timer behind', async () => {
    bounds = { maxTimeMs: 60_000, idleTimeoutMs: 60_000, maxBytes: 256 * MIB };
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const id = testId();
    const conn = await rawConnection(url);
    conn.socket.write(head(id, 1024 * MIB));
    await writeAll(conn.socket, Buffer.alloc(MIB, 'x'));
    await conn.finReceived;
    const socket = serverSockets.get(id)!;
    expect(socket.closed).toBe(false);
    server!.closeAllConnections();
    await serverClosed(id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    conn.socket.destroy();
  });
});

function head(id: string, contentLength: number, path = CHAT): string {
  return `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-test-id: ${id}\r\ncontent-length: ${contentLength}\r\n\r\n`;
}

interface RawConnection {
  socket: Socket;
  /** Resolves once a whole response (head and content-length body) came, or the socket closed. */
  response: Promise<void>;
  /** Resolves when the server half-closed (FIN). */
  finReceived: Promise<void>;
  closed: Promise<void>;
  text(): string;
  /** Resolves once what the server sent matches `re` (rejects if the socket closes first). */
  waitForText(re: RegExp): Promise<void>;
  ended(): boolean;
  error(): Error | null;
}

/** A plain TCP client that keeps its own side open after the server's FIN (so it can stay silent). */
async function rawConnection(base: string): Promise<RawConnection> {
  const { hostname, port } = new URL(base);
  const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let ended = false;
  let error: Error | null = null;
  let onResponse: () => void = () => {};
  const response = new Promise<void>((resolve) => (onResponse = resolve));
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    const split = text.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(text)?.[1];
    if (split >= 0 && length !== undefined && text.length >= split + 4 + Number(length)) onResponse();
  });
  socket.on('error', (err) => (error = err));
  const waitForText = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(text)) done(resolve);
      };
      const onClose = (): void => done(() => reject(new Error(`closed before ${re}: ${text}`)));
      const done = (then: () => void): void => {
        socket.off('data', check);
        socket.off('close', onClose);
        then();
      };
      socket.on('data', check);
      socket.on('close', onClose);
      check();
    });
  const finReceived = new Promise<void>((resolve) =>
    socket.once('end', () => {
      ended = true;
      resolve();
    }),
  );
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      onResponse();
      resolve();
    }),
  );
  return { socket, response, finReceived, closed, text: () => text, waitForText, ended: () => ended, error: () => error };
}

/** Writes `data` in slices, resolving once the kernel took the last one (or the socket failed). */
async function writeAll(socket: Socket, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 4 * MIB) {
    if (socket.destroyed) return;
    if (!socket.write(data.subarray(at, at + 4 * MIB))) await drainOrClose(socket);
  }
  if (!socket.destroyed) await new Promise<void>((resolve) => socket.write('', () => resolve()));
}

/** `size` bytes of spaces as a chunked body, 1 MiB a chunk, with its last chunk. */
function chunked(size: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < size; at += MIB) parts.push(Buffer.from(`${MIB.toString(16)}\r\n`), Buffer.alloc(MIB, ' '), Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Resolves true after `ms` (unref'd): the losing side of a race that should not be lost. */
function failAfter(ms: number): Promise<true> {
  return new Promise((resolve) => setTimeout(() => resolve(true), ms).unref());
}

/** Writes 1 MiB slices until the socket fails; returns the bytes the kernel took. */
async function writeUntilClosed(socket: Socket): Promise<number> {
  const slice = Buffer.alloc(MIB, 'x');
  while (!socket.destroyed && socket.writable) {
    if (!socket.write(slice)) await drainOrClose(socket);
  }
  return socket.bytesWritten;
}

function drainOrClose(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
