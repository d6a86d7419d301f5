import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientWatch } from './client-watch.js';
import { forwardUpstream, type ForwardOutcome } from './forward-upstream.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const chunk = (text: string) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
/** An upstream that sends the whole text so far in every event, one event per write. */
const CUMULATIVE = [chunk('The'), chunk('The capital'), chunk('The capital is Paris'), 'data: [DONE]\n\n'];

async function upstream(events: string[]): Promise<string> {
  return listen(
    createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = () => (i < events.length ? (res.write(events[i++]), setTimeout(next, 2)) : res.end());
      next();
    }),
  );
}

/** The router's side: one request forwarded to `baseUrl`; resolves to what the client read and the outcome. */
async function forwardThrough(baseUrl: string, normalize: boolean): Promise<{ body: string; outcome: ForwardOutcome }> {
  let outcome: Promise<ForwardOutcome> | undefined;
  const front = await listen(
    createServer((req, res) => {
      req.resume();
      outcome = forwardUpstream({ res, baseUrl, path: '/v1/chat/completions', body: Buffer.from('{}'), stream: true, kind: 'chat', client: new ClientWatch(res), headersSent: false, normalize });
    }),
  );
  const body = await (await fetch(`${front}/v1/chat/completions`, { method: 'POST', body: '{}' })).text();
  return { body, outcome: await outcome! };
}

describe('forwardUpstream', () => {
  it('passes the bytes of a launched SGLang server through untouched and unparsed (normalize off)', async () => {
    const { body, outcome } = await forwardThrough(await upstream(CUMULATIVE), false);
    expect(outcome).toBe('done');
    expect(body).toBe(CUMULATIVE.join(''));
  });

  it('rewrites a cumulative `upstream:` server into deltas (normalize on)', async () => {
    const { body, outcome } = await forwardThrough(await upstream(CUMULATIVE), true);
    expect(outcome).toBe('done');
    const pieces = body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices[0].delta.content);
    expect(pieces).toEqual(['The', ' capital', ' is Paris']);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('ends a stream the upstream breaks off with an error event and [DONE]', async () => {
    const broken = await listen(
      createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('Hello'));
        setTimeout(() => res.socket?.destroy(), 10);
      }),
    );
    const { body, outcome } = await forwardThrough(broken, false);
    expect(outcome).toBe('upstream_error');
    expect(body.startsWith(chunk('Hello'))).toBe(true);
    expect(body).toContain('"code":"upstream_disconnected"');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('answers an unreachable upstream with one error event and [DONE]', async () => {
    const gone = await listen(createServer());
    servers.pop()!.close();
    const { body, outcome } = await forwardThrough(gone, false);
    expect(outcome).toBe('upstream_error');
    expect(body).toContain('"code":"upstream_unreachable"');
  });
});
