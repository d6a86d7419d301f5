import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../../shared/catalog-schema.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { runBenchmark } from './run-benchmark.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A model server that streams `tokens` one-word completion chunks, then usage and [DONE]. */
async function serveTokens(tokens: number): Promise<string> {
  server = createServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < tokens; i++) res.write(`data: ${JSON.stringify({ choices: [{ text: ` w${i}` }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { completion_tokens: tokens } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Just what runBenchmark uses of the engine: an upstream-less model on no GPUs, leased at `baseUrl`. */
function engineAt(baseUrl: string): Engine {
  const model = { id: 'alpha', tp: 1, gpus: [] } as unknown as ModelEntry;
  return {
    resolveModel: (id: string) => (id === 'alpha' ? model : undefined),
    acquire: async () => ({ modelId: 'alpha', baseUrl, release: () => undefined }),
    subscribe: () => () => undefined,
    gpu: async () => ({ samples: [] }),
  } as unknown as Engine;
}

describe('runBenchmark', () => {
  it('stamps the run with the wall clock and times the stream with the monotonic one', async () => {
    const engine = engineAt(await serveTokens(5));
    let mono = 0;
    // Monotonic: sent at 10, tokens at 20..60. Wall: a constant far from it, so a mix-up shows.
    const result = await runBenchmark(engine, 'alpha', { maxTokens: 5, now: () => 1_700_000_000_000, monotonicNow: () => (mono += 10) });
    expect(result).toMatchObject({ modelId: 'alpha', atMs: 1_700_000_000_000, ttftMs: 10, tokens: 5, tokPerS: 100 });
  });

  it('one token is too few to measure: too_few_tokens, with the counts', async () => {
    const engine = engineAt(await serveTokens(1));
    const err = await runBenchmark(engine, 'alpha', { maxTokens: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'too_few_tokens', message: 'alpha produced too little to measure (1 token(s))', details: { tokens: 1, maxTokens: 1 } });
  });
});
