import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { noteFirstAnswerByte, noteRequestError, noteRequestModel, noteRequestStream, noteRequestUsage, noteRequestWaited, observeRequest, type RouterRequestOutcome } from './request-observer.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function start(handle: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handle);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('observeRequest', () => {
  it('reports the route, the noted model and the status once the response is sent', async () => {
    const seen: RouterRequestOutcome[] = [];
    const url = await start((_req, res) => {
      observeRequest(res, '/v1/chat/completions', (o) => seen.push(o));
      noteRequestModel(res, 'chat');
      res.writeHead(503).end('no');
    });
    expect((await fetch(url)).status).toBe(503);
    await expect.poll(() => seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ route: '/v1/chat/completions', model: 'chat', status: 503 });
    expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('reports the notes of the request log: client, stream, waited, TTFT, tokens and the first error code', async () => {
    const seen: RouterRequestOutcome[] = [];
    const url = await start((_req, res) => {
      observeRequest(res, '/v1/chat/completions', (o) => seen.push(o));
      noteRequestStream(res, true);
      noteRequestWaited(res, 30);
      noteRequestWaited(res, 12);
      setTimeout(() => {
        noteFirstAnswerByte(res);
        noteFirstAnswerByte(res);
        noteRequestUsage(res, 7, 9);
        noteRequestError(res, 'oom');
        noteRequestError(res, 'later');
        res.writeHead(200).end('ok');
      }, 20);
    });
    const before = Date.now();
    expect((await fetch(url)).status).toBe(200);
    await expect.poll(() => seen).toHaveLength(1);
    const o = seen[0]!;
    expect(o).toMatchObject({ client: '127.0.0.1', stream: true, waitedMs: 42, promptTokens: 7, completionTokens: 9, error: 'oom', model: null });
    expect(o.ttftMs).toBeGreaterThanOrEqual(15);
    expect(o.durationMs).toBeGreaterThanOrEqual(o.ttftMs!);
    expect(o.startedAtMs).toBeGreaterThanOrEqual(before - 5);
  });

  it('reports 499 and no model when the client goes away first, and survives a throwing observer', async () => {
    const seen: RouterRequestOutcome[] = [];
    const url = await start((_req, res) => {
      observeRequest(res, '/v1/completions', () => {
        throw new Error('observer bug');
      });
      observeRequest(res, '/v1/completions', (o) => seen.push(o));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    expect(res.status).toBe(200);
    controller.abort();
    await expect.poll(() => seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ route: '/v1/completions', model: null, status: 499, error: 'client_gone', stream: null, waitedMs: null, ttftMs: null, promptTokens: null });
  });
});
