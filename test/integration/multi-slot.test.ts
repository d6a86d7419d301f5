import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogInput } from '../../shared/catalog-schema.js';
import type { SwapRecord } from '../../shared/engine-state.js';
import { startRouterHost, type RouterHost } from './support/router-host.js';
import { freePort, waitFor, type SimModelSpec } from './support/sim-host.js';

// Several models at once on disjoint GPU sets, through the router with the official openai client,
// on the SGLang simulator: eviction of exactly the overlapping slot after its stream drains, pinned
// models, idle unload, preload and the return to the default model.

let host: RouterHost | undefined;

afterEach(async () => {
  await host?.close();
  host = undefined;
});

function client(h: RouterHost): OpenAI {
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
}

/** Each GPU set gets a free port of its own (the default range next to backend.port may be taken by other tests). */
async function start(models: SimModelSpec[], lifecycle: Partial<CatalogInput> & { pinned?: string[]; idle?: Record<string, number> } = {}, tokensPerS = 0): Promise<RouterHost> {
  const portBySet = new Map<string, number>();
  for (const m of models) {
    const key = (m.gpus ?? []).join(',');
    if (!portBySet.has(key)) portBySet.set(key, await freePort());
  }
  return startRouterHost(models, {
    tokensPerS,
    patch: (input) => {
      const { pinned = [], idle = {}, ...top } = lifecycle;
      Object.assign(input, top);
      input.models = input.models!.map((m) => ({
        ...m,
        port: portBySet.get((m.gpus ?? []).join(','))!,
        ...(pinned.includes(m.id) ? { pinned: true } : {}),
        ...(idle[m.id] !== undefined ? { idleUnloadS: idle[m.id] } : {}),
      }));
    },
  });
}

async function complete(h: RouterHost, model: string, maxTokens = 8): Promise<string> {
  const stream = await client(h).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: maxTokens });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  expect(finish).not.toBeNull();
  return text;
}

const swaps = (h: RouterHost): SwapRecord[] => h.engine.swapHistory({ limit: 1000 });
const loaded = (h: RouterHost): string[] => [...h.engine.state().activeModels].sort();

describe('several models on disjoint GPU sets', () => {
  it('serves two models at once, each from its own slot and port', async () => {
    host = await start(
      [
        { id: 'chat', gpus: [0] },
        { id: 'coder', gpus: [1] },
      ],
      {},
      40,
    );
    const h = host;
    await Promise.all([complete(h, 'chat', 4), complete(h, 'coder', 4)]);
    expect(loaded(h)).toEqual(['chat', 'coder']);
    // Both streams at the same time: each model answers while the other one stays loaded.
    const [a, b] = await Promise.all([complete(h, 'chat', 20), complete(h, 'coder', 20)]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    const launches = await h.sim.launches();
    expect(launches).toHaveLength(2);
    const ports = launches.map((l) => l.argv[l.argv.indexOf('--port') + 1]);
    expect(new Set(ports).size).toBe(2);
    const slots = h.engine.state().slots.filter((s) => s.status === 'ready');
    expect(slots.map((s) => s.gpus)).toEqual(expect.arrayContaining([[0], [1]]));
    expect(swaps(h).filter((s) => s.action === 'unload')).toEqual([]);
  });

  it('a third model evicts only the overlapping one, after its in-flight stream has finished', async () => {
    host = await start(
      [
        { id: 'chat', gpus: [0] },
        { id: 'coder', gpus: [1] },
        { id: 'big', gpus: [1, 2], tp: 2 },
      ],
      {},
      20,
    );
    const h = host;
    await Promise.all([complete(h, 'chat', 2), complete(h, 'coder', 2)]);
    // A long coder stream (~2 s at 20 tok/s) is running when big is asked for.
    let coderEndedAt = 0;
    const long = complete(h, 'coder', 40).then((text) => {
      coderEndedAt = Date.now();
      return text;
    });
    await waitFor(() => h.engine.state().models.find((m) => m.id === 'coder')!.inFlight === 1, 'the coder stream to be in flight');
    const bigAnswer = complete(h, 'big', 2);
    await waitFor(() => h.engine.state().slots.some((s) => s.draining), 'the coder slot to drain');
    expect(h.engine.state().activeModels).toContain('chat');
    const coderText = await long;
    expect(coderText.length).toBeGreaterThan(0);
    await bigAnswer;
    expect(loaded(h)).toEqual(['big', 'chat']);
    const unloads = swaps(h).filter((s) => s.action === 'unload');
    expect(unloads).toEqual([expect.objectContaining({ modelId: 'coder', cause: 'evict', forModel: 'big' })]);
    expect(unloads[0]!.atMs).toBeGreaterThanOrEqual(coderEndedAt - 50);
    const bigLoad = swaps(h).find((s) => s.action === 'load' && s.modelId === 'big')!;
    expect(bigLoad).toMatchObject({ cause: 'request', outcome: 'ready' });
    expect(bigLoad.requestId).toMatch(/^req-/);
  });

  it('refuses with 409 a request that would evict a pinned model, naming it; a manual switch may', async () => {
    host = await start(
      [
        { id: 'coder', gpus: [1] },
        { id: 'big', gpus: [1, 2], tp: 2 },
      ],
      { pinned: ['coder'] },
    );
    const h = host;
    await complete(h, 'coder');
    const err = await client(h)
      .chat.completions.create({ model: 'big', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(409);
    expect((err as Error).message).toMatch(/"coder" is pinned/);
    const nonStream = await client(h)
      .chat.completions.create({ model: 'big', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect((nonStream as InstanceType<typeof OpenAI.APIError>).status).toBe(409);
    expect(loaded(h)).toEqual(['coder']);
    await h.engine.ensureReady('big', 'manual');
    expect(loaded(h)).toEqual(['big']);
  });
});

describe('lifecycle', () => {
  it('unloads an idle model after idleUnloadS, never during a long stream', async () => {
    host = await start([{ id: 'chat', gpus: [0] }], { idle: { chat: 1 } }, 20);
    const h = host;
    // The stream lasts ~2.5 s, longer than the 1 s idle timeout: the model must stay loaded throughout.
    let sawUnloadDuringStream = false;
    const unsubscribe = h.engine.subscribe((e) => {
      if (e.type === 'swap' && e.record.action === 'unload' && h.engine.state().models[0]!.inFlight > 0) sawUnloadDuringStream = true;
    });
    await complete(h, 'chat', 50);
    const endedAt = Date.now();
    expect(loaded(h)).toEqual(['chat']);
    const unload = await waitFor(() => swaps(h).find((s) => s.action === 'unload'), 'the idle unload', 10_000);
    unsubscribe();
    expect(sawUnloadDuringStream).toBe(false);
    expect(unload).toMatchObject({ modelId: 'chat', cause: 'idle' });
    expect(unload.atMs - endedAt).toBeGreaterThanOrEqual(900);
    expect(loaded(h)).toEqual([]);
  });

  it('starts the preload models with the engine, and shows preload and defaultModel in the state', async () => {
    host = await start(
      [
        { id: 'chat', gpus: [0] },
        { id: 'coder', gpus: [1] },
      ],
      { preload: ['chat', 'coder'], defaultModel: 'chat' },
    );
    const h = host;
    await waitFor(() => loaded(h).length === 2, 'both preload models to be ready');
    expect(h.engine.state()).toMatchObject({ preload: ['chat', 'coder'], defaultModel: 'chat', activeModels: ['chat', 'coder'] });
    expect(
      swaps(h)
        .filter((s) => s.action === 'load')
        .map((s) => [s.modelId, s.cause]),
    ).toEqual([
      ['chat', 'preload'],
      ['coder', 'preload'],
    ]);
  });

  it('returns to the default model after another one idles out', async () => {
    host = await start(
      [
        { id: 'chat', gpus: [0] },
        { id: 'coder', gpus: [0, 1], tp: 2 },
      ],
      { preload: ['chat'], defaultModel: 'chat', idleUnloadS: 1 },
    );
    const h = host;
    await waitFor(() => loaded(h).includes('chat'), 'the default model to be preloaded');
    await complete(h, 'coder');
    expect(loaded(h)).toEqual(['coder']);
    await waitFor(() => swaps(h).some((s) => s.action === 'load' && s.modelId === 'chat' && s.cause === 'default' && s.outcome === 'ready'), 'the default model to come back', 15_000);
    expect(loaded(h)).toEqual(['chat']);
    const history = swaps(h).map((s) => `${s.action} ${s.modelId} ${s.cause}${s.forModel ? ` for ${s.forModel}` : ''}`);
    expect(history).toEqual(['load chat preload', 'unload chat evict for coder', 'load coder request', 'unload coder idle', 'load chat default']);
    // The default model itself never idles out.
    expect(h.engine.state().models.find((m) => m.id === 'chat')!.idleUnloadS).toBe(0);
  });
});
