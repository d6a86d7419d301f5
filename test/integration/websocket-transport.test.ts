import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ApiEvent, ApiTransport } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';

// The client alone, against a bare `ws` server playing the engine (the real route is tested in
// electron/engine/api/websocket-route.test.ts).

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function fakeEngine(onConnection: (ws: WebSocket, req: IncomingMessage) => void): Promise<{ url: string; requests: IncomingMessage[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const requests: IncomingMessage[] = [];
  wss.on('connection', (ws, req) => {
    requests.push(req);
    onConnection(ws, req);
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  closers.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, requests };
}

function transportFor(url: string, adminKey?: string): ApiTransport {
  const transport = createWebSocketTransport({ url, adminKey: () => adminKey, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket, reconnectDelay: { initialMs: 10, maxMs: 50 } });
  closers.push(() => transport.close?.());
  return transport;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('createWebSocketTransport', () => {
  it('offers switchboard.v1, plus the key as base64url when there is one', async () => {
    const engine = await fakeEngine(() => undefined);
    transportFor(engine.url);
    transportFor(engine.url, 'ключ/+=');
    await until(() => engine.requests.length === 2, 'both handshakes');
    const offered = engine.requests.map((r) => r.headers['sec-websocket-protocol']!.split(',').map((p) => p.trim())).sort((a, b) => a.length - b.length);
    expect(offered).toEqual([['switchboard.v1'], ['switchboard.v1', `switchboard.key.${Buffer.from('ключ/+=').toString('base64url')}`]]);
    expect(offered[1]![1]).not.toMatch(/[=+/]/);
  });

  it('stops for good when the engine speaks another protocol version, rejecting calls', async () => {
    const engine = await fakeEngine((ws) => ws.send(JSON.stringify({ type: 'hello', protocol: 99, version: '9.9.9' })));
    const api = transportFor(engine.url);
    const states: string[] = [];
    api.onConnection!((s) => states.push(s));
    const call = api.call('state.get', {}).catch((err: unknown) => err);
    expect(await call).toMatchObject({ code: 'unavailable', message: expect.stringContaining('protocol 99') });
    expect(states.at(-1)).toBe('closed');
    await expect(api.call('state.get', {})).rejects.toMatchObject({ message: expect.stringContaining('reload the page') });
    expect(engine.requests).toHaveLength(1);
  });

  it('ignores frames it cannot read and delivers event batches to every subscriber', async () => {
    const engine = await fakeEngine((ws) => {
      ws.send('garbage');
      ws.send(JSON.stringify({ type: 'result', id: 12345, result: 'for nobody' }));
      ws.send(
        JSON.stringify({
          type: 'events',
          events: [
            { type: 'catalog', revision: 'a' },
            { type: 'catalog', revision: 'b' },
          ],
        }),
      );
    });
    const api = transportFor(engine.url);
    const first: ApiEvent[][] = [];
    const second: ApiEvent[][] = [];
    api.subscribe((batch) => first.push(batch));
    const unsubscribe = api.subscribe((batch) => second.push(batch));
    await until(() => first.length === 1, 'the batch');
    expect(first[0]).toEqual([
      { type: 'catalog', revision: 'a' },
      { type: 'catalog', revision: 'b' },
    ]);
    expect(second).toEqual(first);
    unsubscribe();
  });
});
