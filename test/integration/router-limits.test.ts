import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState } from '../../shared/engine-state.js';
import { waitFor } from './support/sim-host.js';
import { startRouterHost, type RouterHost } from './support/router-host.js';

// Per-model maxConcurrent / maxQueued through the router, with the official openai client: a burst
// beyond the limit gets clean 429s before any byte, the admitted requests all complete, and the
// model never has more than maxConcurrent requests between the router and its server.

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

function client(h: RouterHost): OpenAI {
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
}

/** 20 tokens (a natural answer is 30 or more) at 10 tokens/s: each answer takes about 2 s, long enough for a burst to find the places taken. */
const TOKENS = 20;
const ask = { model: 'alpha', messages: [{ role: 'user' as const, content: 'Count slowly.' }], max_tokens: TOKENS };

/** The most requests the engine held at once for `modelId` (in flight, queued) while watching. */
function watchCounts(h: RouterHost, modelId: string) {
  const peak = { inFlight: 0, queued: 0, queuedPositions: new Set<number>() };
  const see = (state: EngineState) => {
    const model = state.models.find((m) => m.id === modelId)!;
    peak.inFlight = Math.max(peak.inFlight, model.inFlight);
    peak.queued = Math.max(peak.queued, model.queued);
    for (const r of state.requests) if (r.modelId === modelId && r.state === 'queued') peak.queuedPositions.add(r.position!);
  };
  see(h.engine.state());
  const stop = h.engine.subscribe((e) => {
    if (e.type === 'state') see(e.state);
  });
  return { peak, stop };
}

/** One model, alpha, with the given limit, answering at `tokensPerS`. */
function limitedHost(limit: { maxConcurrent: number; maxQueued: number }, tokensPerS: number, models: { id: string }[] = [{ id: 'alpha' }]): Promise<RouterHost> {
  return startRouterHost(models, {
    tokensPerS,
    patch: (input) => {
      input.models = input.models!.map((m) => (m.id === 'alpha' ? { ...m, ...limit } : m));
    },
  });
}

async function streamText(h: RouterHost, signal?: AbortSignal): Promise<{ text: string; finish: string | null }> {
  const stream = await client(h).chat.completions.create({ ...ask, stream: true }, { signal });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe('router per-model request limits (maxConcurrent, maxQueued)', () => {
  it('a burst beyond the limit: maxConcurrent run, maxQueued wait, the rest get 429 before any byte; nothing admitted is lost', async () => {
    host = await limitedHost({ maxConcurrent: 2, maxQueued: 3 }, 10, [{ id: 'alpha' }, { id: 'beta' }]);
    // Loaded first, so the burst meets a serving model and only the limit decides.
    await host.engine.ensureReady('alpha', 'manual');
    const watch = watchCounts(host, 'alpha');
    const h = host;
    const burst = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? streamText(h)
          : client(h)
              .chat.completions.create(ask)
              .then((c) => ({ text: c.choices[0]!.message.content ?? '', finish: c.choices[0]!.finish_reason })),
      ),
    );
    watch.stop();
    const ok = burst.filter((r) => r.status === 'fulfilled');
    const refused = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(5);
    for (const r of ok) expect(r.value).toMatchObject({ finish: 'length' });
    for (const r of ok) expect(r.value.text.split(/\s+/).filter(Boolean).length).toBeGreaterThanOrEqual(TOKENS / 2);
    for (const { reason } of refused) {
      // A 429 status (not a 200 stream with an error inside): the refusal came before any byte.
      expect(reason).toBeInstanceOf(OpenAI.RateLimitError);
      const err = reason as InstanceType<typeof OpenAI.RateLimitError>;
      expect(err.status).toBe(429);
      expect(err.code).toBe('too_many_requests');
      expect(err.message).toMatch(/alpha has 2 requests running \(its maxConcurrent\) and 3 more waiting \(its maxQueued\)/);
      expect(err.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(watch.peak.inFlight).toBe(2);
    expect(watch.peak.queued).toBe(3);
    expect([...watch.peak.queuedPositions].sort()).toEqual([1, 2, 3]);
    // Everything ends: nothing held, nothing queued.
    const after = host.engine.state().models.find((m) => m.id === 'alpha')!;
    expect([after.inFlight, after.queued, after.limit]).toEqual([0, 0, { maxConcurrent: 2, maxQueued: 3 }]);
    // The request counts: 5 answered, 5 refused with their code, all resolved to the model.
    const log = host.engine.requestLog({ model: 'alpha', limit: 100 }).filter((r) => r.route === '/v1/chat/completions');
    expect(log.filter((r) => r.status === 200)).toHaveLength(5);
    expect(log.filter((r) => r.status === 429).map((r) => r.error)).toEqual(Array(5).fill('too_many_requests'));
    const metrics = await fetch(`${host.url}/metrics`, { headers: host.adminHeaders }).then((r) => r.text());
    expect(metrics).toContain('switchboard_router_requests_total{model="alpha",route="/v1/chat/completions",status="429"} 5');
    // Another model has no limit: a request to it is not held back by alpha's.
    expect((await client(host).chat.completions.create({ ...ask, model: 'beta', max_tokens: 2 })).choices[0]!.finish_reason).toBe('length');
  });

  it('an Anthropic client over the limit gets 429 rate_limit_error in Anthropic’s shape, before any event', async () => {
    host = await limitedHost({ maxConcurrent: 1, maxQueued: 0 }, 10);
    await host.engine.ensureReady('alpha', 'manual');
    const h = host;
    const anthropic = new Anthropic({ baseURL: h.url, apiKey: 'sk-unused', maxRetries: 0 });
    const running = anthropic.messages.stream({ model: 'alpha', max_tokens: TOKENS, messages: [{ role: 'user', content: 'Count slowly.' }] });
    await waitFor(() => h.engine.state().models[0]!.inFlight === 1, 'the first message running');
    const refused = await anthropic.messages.create({ model: 'alpha', max_tokens: 4, messages: [{ role: 'user', content: 'Hi' }], stream: true }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const err = refused as InstanceType<typeof Anthropic.RateLimitError>;
    expect(err.status).toBe(429);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringMatching(/alpha has 1 request running \(its maxConcurrent\) and 0 more waiting/) } });
    expect((await running.finalMessage()).stop_reason).toBe('max_tokens');
  });

  it('requests for a cold model queue under the limit too, and run once the load is done', async () => {
    host = await limitedHost({ maxConcurrent: 1, maxQueued: 2 }, 10);
    const h = host;
    const watch = watchCounts(h, 'alpha');
    const results = await Promise.allSettled([streamText(h), streamText(h), streamText(h), streamText(h)]);
    watch.stop();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(watch.peak.inFlight).toBe(1);
    expect(await host.sim.launches()).toHaveLength(1);
  });

  it('a client that gives up while queued frees its place in the queue', async () => {
    host = await limitedHost({ maxConcurrent: 1, maxQueued: 1 }, 10);
    await host.engine.ensureReady('alpha', 'manual');
    const h = host;
    const running = streamText(h);
    await waitFor(() => h.engine.state().models[0]!.inFlight === 1, 'the first request running');
    const giveUp = new AbortController();
    const queued = streamText(h, giveUp.signal).catch((err: unknown) => err);
    await waitFor(() => h.engine.state().models[0]!.queued === 1, 'the second request queued');
    await expect(client(h).chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    giveUp.abort();
    await waitFor(() => h.engine.state().models[0]!.queued === 0, 'the queue place freed');
    // The freed place takes a new request, which then runs after the first.
    const third = streamText(h);
    expect((await running).finish).toBe('length');
    expect((await third).finish).toBe('length');
    expect(await queued).toBeInstanceOf(Error);
  });

  it('a non-streaming request that finds no free place within backend.readyTimeoutS gets 503 queue_timeout', async () => {
    host = await limitedHost({ maxConcurrent: 1, maxQueued: 1 }, 10);
    await host.engine.ensureReady('alpha', 'manual');
    const h = host;
    // Shortened once loaded (the router reads it per request): the load itself needs longer.
    const catalog = h.engine.catalog();
    h.engine.replaceCatalog({ ...catalog, backend: { ...catalog.backend, readyTimeoutS: 1 } }, 'short wait');
    const running = streamText(h);
    await waitFor(() => h.engine.state().models[0]!.inFlight === 1, 'the first request running');
    const late = await client(h)
      .chat.completions.create(ask)
      .catch((err: unknown) => err);
    expect(late).toBeInstanceOf(OpenAI.APIError);
    expect(late).toMatchObject({ status: 503, code: 'queue_timeout' });
    expect((late as Error).message).toMatch(/alpha had no free place within 1 s/);
    expect(h.engine.state().models[0]!.queued).toBe(0);
    expect((await running).finish).toBe('length');
  });

  it('a raised limit in the catalog lets queued requests go on at once', async () => {
    host = await limitedHost({ maxConcurrent: 1, maxQueued: 4 }, 5);
    await host.engine.ensureReady('alpha', 'manual');
    const h = host;
    const requests = [streamText(h), streamText(h), streamText(h)];
    await waitFor(() => h.engine.state().models[0]!.queued === 2, 'two requests queued');
    const catalog = h.engine.catalog();
    h.engine.replaceCatalog({ ...catalog, models: catalog.models.map((m) => ({ ...m, maxConcurrent: 3 })) }, 'raised');
    await waitFor(() => h.engine.state().models[0]!.inFlight === 3, 'all three running');
    for (const r of await Promise.all(requests)) expect(r.finish).toBe('length');
  });
});
