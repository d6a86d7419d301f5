import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { streamCompletion } from './stream-completion.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: (body: Record<string, unknown>, write: (data: string) => void, end: () => void) => void): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    bodies.push(JSON.parse(text));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    handler(
      bodies.at(-1)!,
      (data) => res.write(`data: ${data}\n\n`),
      () => res.end(),
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

describe('streamCompletion', () => {
  it('asks for ignore_eos, max_tokens and usage; times the first and last text chunks; counts usage tokens', async () => {
    const { url, bodies } = await serve((_body, write, end) => {
      write(JSON.stringify({ choices: [{ text: '' }] }));
      for (let i = 0; i < 3; i++) write(JSON.stringify({ choices: [{ text: `t${i}` }] }));
      write(JSON.stringify({ choices: [], usage: { completion_tokens: 5 } }));
      write('[DONE]');
      end();
    });
    let clock = 0;
    const timing = await streamCompletion({ baseUrl: url, model: 'm', prompt: 'p', maxTokens: 5, now: () => (clock += 10) });
    expect(bodies[0]).toMatchObject({ model: 'm', prompt: 'p', max_tokens: 5, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
    expect(timing).toEqual({ sentAtMs: 10, firstTokenAtMs: 20, lastTokenAtMs: 40, tokens: 5 });
  });

  it('counts text chunks when the server sends no usage, and fails on an error event', async () => {
    const { url } = await serve((body, write, end) => {
      write(JSON.stringify({ choices: [{ text: 'a' }] }));
      write(JSON.stringify(body.prompt === 'bad' ? { error: { message: 'CUDA error' } } : { choices: [{ text: 'b' }] }));
      end();
    });
    const before = performance.now();
    const timing = await streamCompletion({ baseUrl: url, model: 'm', prompt: 'p', maxTokens: 2 });
    expect(timing.tokens).toBe(2);
    // The default clock is performance.now(): monotonic and finer than a millisecond, so two chunks that
    // came in one read are still apart (with Date.now they mostly shared a millisecond: nothing to time).
    expect(timing.sentAtMs).toBeGreaterThanOrEqual(before);
    expect(timing.lastTokenAtMs!).toBeGreaterThan(timing.firstTokenAtMs!);
    expect(timing.lastTokenAtMs!).toBeLessThanOrEqual(performance.now());
    await expect(streamCompletion({ baseUrl: url, model: 'm', prompt: 'bad', maxTokens: 2 })).rejects.toThrow('failed mid-stream: CUDA error');
  });
});
