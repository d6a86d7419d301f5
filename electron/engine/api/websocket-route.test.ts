import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, ApiHandlers, ApiServerMessage, ApiTransport } from '../../../shared/switchboard-api.js';
import { ApiCallError } from '../../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../../shared/transports/websocket-transport.js';
import { createAdminRoutes } from './admin-http.js';
import { startHttpServer, type RunningHttpServer } from './start-http-server.js';
import { createEngineTestHandlers } from './testing/engine-test-handlers.js';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { createEngineAccess } from './access/engine-access.js';
import { ScriptedEngine, TEST_CATALOG } from './testing/scripted-engine.js';
import { TEST_ADMIN_TOKEN, waitFor } from './testing/start-admin-server.js';
import { createWebSocketRoute, type WebSocketRouteOptions } from './websocket-route.js';

interface WsTestServer {
  engine: ScriptedEngine;
  server: RunningHttpServer;
  wsUrl: string;
  port: number;
}

const servers: RunningHttpServer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startWsServer(
  opts: Partial<Omit<WebSocketRouteOptions, 'access'>> & { port?: number; handlers?: Partial<ApiHandlers>; router?: CatalogInput['router'] } = {},
  engine = new ScriptedEngine({ ...TEST_CATALOG, ...(opts.router ? { router: opts.router } : {}) }),
): Promise<WsTestServer> {
  const access = createEngineAccess({ router: () => engine.catalog().router, adminToken: TEST_ADMIN_TOKEN });
  const upgrade = createWebSocketRoute(engine, createEngineTestHandlers(engine, opts.handlers), { ...opts, access });
  const server = await startHttpServer({ host: '127.0.0.1', port: opts.port ?? 0, handler: createAdminRoutes(engine, { access }), upgrade });
  servers.push(server);
  const port = Number(new URL(server.url).port);
  return { engine, server, port, wsUrl: `ws://127.0.0.1:${port}/api/ws` };
}

const withToken = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** A `ws` client that records every server message. */
async function openRaw(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, options.protocols ?? ['switchboard.v1'], { headers: options.headers ?? withToken });
  const messages: ApiServerMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    /** Waits for the first message after `from` that matches. */
    async next<T extends ApiServerMessage>(match: (m: ApiServerMessage) => m is T, what: string): Promise<T> {
      await waitFor(() => messages.some(match), 5_000, what);
      return messages.find(match)!;
    },
  };
}

/** The HTTP answer to a WebSocket handshake that is refused, or 'open'. Sends the admin token unless `headers` replace it. */
function handshake(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<{ status: number | 'open'; body: any }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options.protocols ?? ['switchboard.v1'], { headers: options.headers ?? withToken });
    ws.on('error', () => undefined);
    ws.once('open', () => {
      resolve({ status: 'open', body: ws.protocol });
      ws.terminate();
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        ws.terminate();
      });
    });
  });
}

function transportFor(url: string, adminKey: string | null = TEST_ADMIN_TOKEN): ApiTransport {
  const transport = createWebSocketTransport({
    url,
    adminKey: () => adminKey ?? undefined,
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnectDelay: { initialMs: 10, maxMs: 100 },
  });
  cleanups.push(() => transport.close?.());
  return transport;
}

function connectionStates(transport: ApiTransport): string[] {
  const states: string[] = [];
  transport.onConnection!((state) => states.push(state));
  return states;
}

const isHello = (m: ApiServerMessage): m is Extract<ApiServerMessage, { type: 'hello' }> => m.type === 'hello';
const isEvents = (m: ApiServerMessage): m is Extract<ApiServerMessage, { type: 'events' }> => m.type === 'events';
const isErrorFor =
  (id: number) =>
  (m: ApiServerMessage): m is Extract<ApiServerMessage, { type: 'error' }> =>
    m.type === 'error' && m.id === id;
const eventsOf = (messages: ApiServerMessage[]): ApiEvent[] => messages.filter(isEvents).flatMap((m) => m.events);

describe('/api/ws', () => {
  it('greets with hello, then the current state, and echoes the switchboard.v1 subprotocol', async () => {
    const t = await startWsServer();
    const client = await openRaw(t.wsUrl);
    expect(client.ws.protocol).toBe('switchboard.v1');
    await waitFor(() => client.messages.length >= 2, 5_000, 'hello and state');
    expect(client.messages[0]).toEqual({ type: 'hello', protocol: 1, version: '0.0.0-test' });
    expect(client.messages[1]).toMatchObject({ type: 'events', events: [{ type: 'state', state: { slots: [{ status: 'stopped' }] } }] });
  });

  it('answers calls by id, and errors with their codes', async () => {
    const t = await startWsServer();
    const api = transportFor(t.wsUrl);
    const state = await api.call('state.get', {});
    expect(state.version).toBe('0.0.0-test');
    expect((await api.call('models.list', {})).map((m) => m.id)).toEqual(['qwen-32b', 'llama-70b', 'mistral-123b']);

    const unknown = await api.call('models.switchTo', { model: 'nope' }).catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(ApiCallError);
    expect(unknown).toMatchObject({ code: 'unknown_model', details: { known: ['qwen-32b', 'llama-70b', 'mistral-123b'] } });
    const badParams = await api.call('logs.tail', { tail: -1 }).catch((err: unknown) => err);
    expect(badParams).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^bad params for logs\.tail: tail:/) });
    await expect(api.call('gpu.setPowerLimit', { gpu: '0', watts: 250 })).rejects.toMatchObject({ code: 'unavailable' });
    const unknownMethod = await api.call('no.such' as 'state.get', {}).catch((err: unknown) => err);
    expect(unknownMethod).toMatchObject({ code: 'not_found', message: 'unknown method "no.such"' });
  });

  it('runs calls concurrently and answers each by its id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t = await startWsServer({ handlers: { 'bench.history': async () => (await gate, { runs: [], summary: [] }) } });
    const api = transportFor(t.wsUrl);
    const slow = api.call('bench.history', {});
    expect((await api.call('state.get', {})).version).toBe('0.0.0-test');
    release();
    expect(await slow).toEqual({ runs: [], summary: [] });
  });

  it('delivers engine events in the order they happened', async () => {
    const t = await startWsServer();
    const api = transportFor(t.wsUrl);
    const seen: ApiEvent[] = [];
    api.subscribe((events) => seen.push(...events));
    await waitFor(() => seen.length === 1, 5_000, 'the initial state');

    t.engine.ensureReady('qwen', 'manual').catch(() => undefined);
    t.engine.log('Load weight begin.');
    t.engine.progress('weights', 0.5);
    t.engine.ready();
    await waitFor(() => seen.some((e) => e.type === 'state' && e.state.activeModel === 'qwen-32b'), 5_000, 'ready');

    const summary = seen.map((e) => (e.type === 'state' ? `state:${e.state.slots[0]!.status}` : e.type));
    expect(summary).toEqual(['state:stopped', 'state:starting', 'log', 'state:loading', 'load', 'state:ready']);
  });

  describe('auth', () => {
    it('takes an admin key as a Bearer header or as the switchboard.key subprotocol, and refuses others with 401', async () => {
      const t = await startWsServer({ router: { adminKeys: ['s3cret-ключ-0123456789', 'other-admin-key-0000'], apiKeys: ['sk-inference'] } });
      expect(await handshake(t.wsUrl, { headers: { authorization: 'Bearer other-admin-key-0000' }, protocols: [] })).toEqual({ status: 'open', body: '' });
      const encoded = Buffer.from('s3cret-ключ-0123456789').toString('base64url');
      expect(await handshake(t.wsUrl, { headers: {}, protocols: ['switchboard.v1', `switchboard.key.${encoded}`] })).toEqual({ status: 'open', body: 'switchboard.v1' });
      expect((await handshake(t.wsUrl)).status).toBe('open'); // the generated admin token

      const none = await handshake(t.wsUrl, { headers: {} });
      expect(none.status).toBe(401);
      expect(none.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('the admin API needs an admin key') });
      const wrong = Buffer.from('guess').toString('base64url');
      expect((await handshake(t.wsUrl, { headers: {}, protocols: ['switchboard.v1', `switchboard.key.${wrong}`] })).status).toBe(401);
      expect((await handshake(t.wsUrl, { headers: { authorization: 'Bearer guess' } })).status).toBe(401);
      // An inference key never opens the admin API, by header or by subprotocol.
      expect((await handshake(t.wsUrl, { headers: { authorization: 'Bearer sk-inference' } })).status).toBe(401);
      const inference = Buffer.from('sk-inference').toString('base64url');
      expect((await handshake(t.wsUrl, { headers: {}, protocols: ['switchboard.v1', `switchboard.key.${inference}`] })).status).toBe(401);
    });

    it('connects the client transport with its key, and keeps retrying without one', async () => {
      const t = await startWsServer();
      const api = transportFor(t.wsUrl);
      expect((await api.call('state.get', {})).version).toBe('0.0.0-test');

      const keyless = transportFor(t.wsUrl, null);
      const states = connectionStates(keyless);
      await waitFor(() => states.filter((s) => s === 'closed').length >= 2, 5_000, 'two refused attempts');
      expect(states).not.toContain('open');
      await expect(keyless.call('state.get', {})).rejects.toMatchObject({ code: 'unavailable' });
    });

    it('awaits a key that has to be fetched first (the browser view asks /api/session)', async () => {
      const t = await startWsServer();
      const transport = createWebSocketTransport({
        url: t.wsUrl,
        adminKey: () => new Promise((resolve) => setTimeout(() => resolve(TEST_ADMIN_TOKEN), 20)),
        WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
      });
      cleanups.push(() => transport.close?.());
      expect((await transport.call('state.get', {})).version).toBe('0.0.0-test');
    });

    it('refuses a client that does not speak switchboard.v1', async () => {
      const t = await startWsServer();
      expect(await handshake(t.wsUrl, { protocols: ['graphql-ws'] })).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    });
  });

  describe('origin and Host', () => {
    it('allows no Origin, the same origin and configured origins; refuses other sites with 403', async () => {
      const t = await startWsServer({ router: { allowedOrigins: ['http://localhost:5173'] } });
      const self = `http://127.0.0.1:${t.port}`;
      const open = (origin: string) => handshake(t.wsUrl, { headers: { ...withToken, origin } });
      expect((await handshake(t.wsUrl)).status).toBe('open');
      expect((await open(self)).status).toBe('open');
      expect((await open(`http://localhost:${t.port}`)).status).toBe('open');
      expect((await open('http://localhost:5173')).status).toBe('open');

      const foreign = await open('https://evil.example');
      expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('origin https://evil.example') } } });
      expect((await open('null')).status).toBe(403);
      expect((await open(`http://127.0.0.1:${t.port + 1}`)).status).toBe(403);
      // The scheme may differ: a TLS proxy in front serves the page as https on the same host.
      expect((await open(`https://127.0.0.1:${t.port}`)).status).toBe('open');
    });

    it('refuses a foreign origin even with the right key', async () => {
      const t = await startWsServer();
      expect((await handshake(t.wsUrl, { headers: { origin: 'https://evil.example', ...withToken } })).status).toBe(403);
    });

    it('refuses a DNS-rebinding page: its Host and Origin agree, but the Host is not a name of this engine', async () => {
      const t = await startWsServer();
      const rebound = await handshake(t.wsUrl, { headers: { ...withToken, host: `evil.example:${t.port}`, origin: `http://evil.example:${t.port}` } });
      expect(rebound).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('DNS rebinding') } } });
      expect(t.engine.listenerCount()).toBe(0);
    });
  });

  it('answers other upgrade paths with 404', async () => {
    const t = await startWsServer();
    const other = await handshake(`ws://127.0.0.1:${t.port}/api/other`);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  describe('malformed frames', () => {
    it('replies with an error (id 0 when unreadable) and keeps the connection open', async () => {
      const t = await startWsServer();
      const client = await openRaw(t.wsUrl);
      await client.next(isHello, 'hello');

      client.ws.send('not json');
      expect((await client.next(isErrorFor(0), 'the JSON error')).error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('not JSON') });
      client.messages.length = 0;

      client.ws.send(JSON.stringify({ type: 'subscribe', id: 7 }));
      expect((await client.next(isErrorFor(7), 'the type error')).error.message).toContain('unknown frame type "subscribe"');
      client.ws.send(JSON.stringify({ type: 'call', id: 8, method: 42 }));
      expect((await client.next(isErrorFor(8), 'the method error')).error.message).toBe('"method" must be a string');
      client.ws.send(JSON.stringify({ type: 'call', id: -3, method: 'state.get' }));
      client.ws.send(JSON.stringify([1, 2]));
      client.ws.send(Buffer.from('{"type":"call","id":9,"method":"state.get"}'), { binary: true });
      expect((await client.next(isErrorFor(9), 'the binary error')).error.message).toContain('binary frames are not accepted');
      client.ws.send(JSON.stringify({ type: 'call', id: 10, method: 'logs.tail', params: { tail: 1, pad: 'x'.repeat(1024 * 1024) } }));
      expect((await client.next(isErrorFor(10), 'the size error')).error.message).toMatch(/^frame of \d+ bytes is over the limit of 1048576$/);
      await waitFor(() => client.messages.filter(isErrorFor(0)).length === 2, 5_000, 'the bad id and the array');

      client.ws.send(JSON.stringify({ type: 'call', id: 11, method: 'state.get', params: {} }));
      const isResult = (m: ApiServerMessage): m is Extract<ApiServerMessage, { type: 'result' }> => m.type === 'result' && m.id === 11;
      expect((await client.next(isResult, 'the result')).result).toMatchObject({ version: '0.0.0-test' });
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });
  });

  it('keeps every load event and the newest state for a client that stops reading; drops log lines', async () => {
    const t = await startWsServer({ highWaterBytes: 64 * 1024 });
    const client = await openRaw(t.wsUrl);
    await client.next(isEvents, 'the initial state');
    client.messages.length = 0;
    // Stop reading: the server's socket buffer fills, and bufferedAmount climbs past the threshold.
    client.ws.pause();

    t.engine.ensureReady('llama-70b', 'manual').catch(() => undefined);
    const bigLine = 'x'.repeat(64 * 1024);
    const loads = 40;
    let logs = 0;
    for (let i = 0; i < loads; i += 1) {
      for (let j = 0; j < 10; j += 1, logs += 1) t.engine.log(`${logs} ${bigLine}`);
      t.engine.progress('weights', i / loads);
      t.engine.ready(); // a load event each time (always) and a state (latest)
      await new Promise((resolve) => setImmediate(resolve));
    }
    t.engine.stop('manual');
    client.ws.resume();

    const isFinal = (e: ApiEvent | undefined): boolean => e?.type === 'state' && e.state.slots[0]!.status === 'stopped';
    await waitFor(() => isFinal(eventsOf(client.messages).at(-1)), 20_000, 'the final state');
    const events = eventsOf(client.messages);
    expect(events.filter((e) => e.type === 'load')).toHaveLength(loads);
    const logSeqs = events.flatMap((e) => (e.type === 'log' ? [e.line.seq] : []));
    expect(logSeqs.length).toBeLessThan(logs);
    // 1 starting + 40 × (loading, ready) + 1 stopped were emitted; a stalled client gets fewer, the newest last.
    expect(events.filter((e) => e.type === 'state').length).toBeLessThan(2 * loads + 2);
    expect(logSeqs).toEqual([...logSeqs].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ type: 'state', state: { slots: [{ status: 'stopped' }] } });
    const loadEnds = events.flatMap((e) => (e.type === 'load' ? [e.record.endedAtMs] : []));
    expect(loadEnds).toEqual([...loadEnds].sort((a, b) => a - b));
  });

  describe('the client transport', () => {
    it('reconnects after the server restarts, and hears the state again', async () => {
      const first = await startWsServer();
      const api = transportFor(first.wsUrl);
      const states = connectionStates(api);
      const seen: ApiEvent[] = [];
      api.subscribe((events) => seen.push(...events));
      await waitFor(() => states.at(-1) === 'open' && seen.length === 1, 5_000, 'connected');

      await first.server.close();
      servers.splice(servers.indexOf(first.server), 1);
      await waitFor(() => states.at(-1) !== 'open', 5_000, 'the drop');
      await expect(api.call('state.get', {})).rejects.toMatchObject({ code: 'unavailable' });

      const engine = new ScriptedEngine();
      engine.ensureReady('mistral', 'manual').catch(() => undefined);
      await startWsServer({ port: first.port }, engine);
      await waitFor(() => states.at(-1) === 'open' && seen.length === 2, 10_000, 'the reconnect');
      expect(seen[1]).toMatchObject({ type: 'state', state: { slots: [{ status: 'starting', modelId: 'mistral-123b' }] } });
      expect(states.slice(0, 4)).toEqual(['connecting', 'open', 'closed', 'connecting']);
      expect((await api.call('state.get', {})).slots[0]!.modelId).toBe('mistral-123b');
    });

    it('rejects a call in flight with unavailable when the socket drops, and the server closes every socket', async () => {
      const t = await startWsServer({ handlers: { 'models.switchTo': () => new Promise(() => undefined) } });
      const api = transportFor(t.wsUrl);
      const raw = await openRaw(t.wsUrl);
      await api.call('state.get', {});
      const pending = api.call('models.switchTo', { model: 'qwen', wait: true }).catch((err: unknown) => err);
      await waitFor(() => t.engine.listenerCount() === 2, 5_000, 'both subscribed');

      await t.server.close();
      servers.length = 0;
      expect(await pending).toMatchObject({ code: 'unavailable', message: expect.stringContaining('dropped') });
      expect(await raw.closed).toBe(1001);
      await waitFor(() => t.engine.listenerCount() === 0, 5_000, 'every subscription ended');
    });

    it('waits for the socket to open before sending, and stops for good on close()', async () => {
      const t = await startWsServer();
      const api = transportFor(t.wsUrl);
      const states = connectionStates(api);
      expect(states).toEqual(['connecting']);
      const early = api.call('state.get', {});
      expect((await early).version).toBe('0.0.0-test');

      api.close!();
      expect(states.at(-1)).toBe('closed');
      await expect(api.call('state.get', {})).rejects.toMatchObject({ code: 'unavailable', message: 'the engine connection was closed' });
      await waitFor(() => t.engine.listenerCount() === 0, 5_000, 'the server to see the close');
      expect(states).toEqual(['connecting', 'open', 'closed']);
    });

    it('sends the key as a base64url subprotocol', async () => {
      const t = await startWsServer({ router: { adminKeys: ['a+b/c=d ü — admin key'] } });
      const api = transportFor(t.wsUrl, 'a+b/c=d ü — admin key');
      expect((await api.call('state.get', {})).version).toBe('0.0.0-test');
    });
  });
});
