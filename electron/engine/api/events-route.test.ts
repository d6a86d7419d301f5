import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSseData, SseEventSplitter } from '../router/sse-event-splitter.js';
import { startAdminServer, TEST_ADMIN_TOKEN, waitFor, type AdminTestServer } from './testing/start-admin-server.js';

let t: AdminTestServer;
beforeEach(async () => {
  t = await startAdminServer({ sseKeepaliveMs: 20 });
});
afterEach(async () => {
  await t.close();
});

/**
 * The events of an SSE body with their `event:` names; comment-only blocks (keepalives) are skipped.
 * The engine's own splitter, not the CLI's client parser: the engine's tests stay out of the CLI.
 */
async function* readSseEvents(body: AsyncIterable<Buffer>): AsyncGenerator<{ event: string; data: string }> {
  const splitter = new SseEventSplitter();
  for await (const chunk of body) {
    for (const raw of splitter.push(chunk)) {
      const data = parseSseData(raw);
      if (data !== null) yield { event: /^event: ?(.*)$/m.exec(raw.toString('utf8'))?.[1] ?? 'message', data };
    }
  }
}

async function openEvents(url: string) {
  const controller = new AbortController();
  const res = await request(`${url}/api/events`, { signal: controller.signal, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  const events = readSseEvents(res.body);
  return {
    res,
    async next(): Promise<{ event: string; data: any }> {
      const { value, done } = await events.next();
      if (done) throw new Error('stream ended');
      return { event: value.event, data: JSON.parse(value.data) };
    },
    close: () => controller.abort(),
  };
}

describe('GET /api/events', () => {
  it('starts with the current state, then forwards state, log and load events', async () => {
    const stream = await openEvents(t.url);
    expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
    const first = await stream.next();
    expect(first.event).toBe('state');
    expect(first.data.slots[0].status).toBe('stopped');

    t.engine.ensureReady('qwen-32b', 'manual').catch(() => undefined);
    t.engine.log('Load weight begin.');
    t.engine.ready();

    expect((await stream.next()).data.slots[0].status).toBe('starting');
    expect(await stream.next()).toMatchObject({ event: 'log', data: { seq: 1, text: 'Load weight begin.', modelId: 'qwen-32b' } });
    expect(await stream.next()).toMatchObject({ event: 'load', data: { modelId: 'qwen-32b', outcome: 'ready' } });
    expect(await stream.next()).toMatchObject({ event: 'state', data: { activeModel: 'qwen-32b' } });
    stream.close();
  });

  it('unsubscribes when the client goes away', async () => {
    const streams = await Promise.all([openEvents(t.url), openEvents(t.url)]);
    await Promise.all(streams.map((s) => s.next()));
    expect(t.engine.listenerCount()).toBe(2);
    streams[0].close();
    await waitFor(() => t.engine.listenerCount() === 1, 5_000, 'one unsubscribe');
    streams[1].close();
    await waitFor(() => t.engine.listenerCount() === 0, 5_000, 'no listeners');
  });

  it('sends keepalive comments', async () => {
    const res = await request(`${t.url}/api/events`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    let text = '';
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.includes(': keepalive\n\n')) break;
    }
    expect(text).toMatch(/^event: state\ndata: \{.*\}\n\n/);
  });

  it('drops log lines for a client that stops reading, but keeps the newest state', async () => {
    const { port } = t.server.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /api/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n\r\n`);
    socket.pause();
    await waitFor(() => t.engine.listenerCount() === 1, 5_000, 'the subscription');

    t.engine.ensureReady('llama-70b', 'manual').catch(() => undefined);
    const bigLine = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400; i += 1) t.engine.log(`${i} ${bigLine}`);
    t.engine.progress('kv_cache');
    t.engine.progress('cuda_graphs', 0.25, 'bs=32 13/52');

    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.resume();
    await waitFor(() => /: dropped \d+ events/.test(text), 10_000, 'the dropped comment');
    const logsReceived = (text.match(/event: log\n/g) ?? []).length;
    const dropped = Number(/: dropped (\d+) events/.exec(text)![1]);
    expect(logsReceived).toBeLessThan(400);
    expect(logsReceived + dropped).toBeGreaterThanOrEqual(400);
    expect(text).toContain('"detail":"bs=32 13/52"');
    socket.destroy();
    await waitFor(() => t.engine.listenerCount() === 0, 5_000, 'no listeners');
  });
});
