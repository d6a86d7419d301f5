import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { waitFor } from './support/sim-host.js';
import { readSseEvents, startRouterHost, type RouterHost } from './support/router-host.js';

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const post = (h: RouterHost, path: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const chat = (model: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, ...extra });

describe('router: bad input gets a clear error and loses nothing', () => {
  it('unknown model → 404 OpenAI error listing the available ids (openai client: NotFoundError)', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'] }, { id: 'beta' }]);
    const c = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const err = await c.chat.completions.create(chat('gamma') as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toContain("The model 'gamma' does not exist; available: alpha, a, beta");
    expect(await host.sim.launches()).toEqual([]);
  });

  it('malformed JSON → 400; missing model → 400; bad loading header → 400', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const bad = await post(host, '/v1/chat/completions', '{"model": "alpha", "messages": [');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/not valid JSON/) });
    const noModel = await post(host, '/v1/chat/completions', { messages: [] });
    expect(noModel.status).toBe(400);
    const header = await post(host, '/v1/chat/completions', chat('alpha', { stream: true }), { 'x-switchboard-loading': 'loud' });
    expect(header.status).toBe(400);
    expect(await header.text()).toContain('X-Switchboard-Loading must be one of content, reasoning, comment, none');
    expect(await host.sim.launches()).toEqual([]);
  });

  it('a body over 32 MiB → 413', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const huge = JSON.stringify(chat('alpha', { messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] }));
    const res = await post(host, '/v1/chat/completions', huge);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
  });

  it('with apiKeys set: a missing or wrong key → 401 on every route; the right key works', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { apiKeys: ['sk-right'] });
    for (const [path, init] of [
      ['/v1/models', {}],
      ['/models', {}],
      ['/v1/chat/completions', { method: 'POST', body: '{}' }],
      ['/health', {}],
      ['/api/state', {}],
    ] as const) {
      expect((await fetch(`${host.url}${path}`, init)).status, path).toBe(401);
      expect((await fetch(`${host.url}${path}`, { ...init, headers: { authorization: 'Bearer sk-wrong' } })).status, path).toBe(401);
    }
    const c = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'sk-right', maxRetries: 0 });
    expect((await c.models.list()).data.map((m) => m.id)).toEqual(['alpha']);
    await expect(new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('a failed switch: streaming gets the cause and hint as an error event and a clean end; non-streaming gets 503', async () => {
    host = await startRouterHost([{ id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } }]);
    const res = await post(host, '/v1/chat/completions', chat('oomy', { stream: true }));
    expect(res.status).toBe(200);
    const { data, raw } = await readSseEvents(res);
    expect(data.at(-1)).toBe('[DONE]');
    const error = JSON.parse(data.at(-2)!) as { error: { message: string; code: string } };
    expect(error.error).toMatchObject({ code: 'oom', message: 'CUDA out of memory while loading weights — lower memFractionStatic or contextLength' });
    expect(raw).toContain('❌ CUDA out of memory while loading weights');

    const c = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const err = await c.chat.completions.create(chat('oomy') as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as Error).message).toContain('CUDA out of memory while loading weights — lower memFractionStatic or contextLength');
    // The streaming client also sees it as an error through the SDK.
    const stream = (await c.chat.completions.create({ ...(chat('oomy') as object), stream: true } as never)) as unknown as AsyncIterable<unknown>;
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow(/CUDA out of memory/);
    expect(host.engine.state().requests).toEqual([]);
  });

  it('backend killed mid-stream: the client gets an error event and the end within a second; the model is marked failed and the next request starts it again', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { tokensPerS: 20 });
    await host.engine.ensureReady('alpha', 'manual');
    const res = await post(host, '/v1/chat/completions', chat('alpha', { stream: true, max_tokens: 500 }));
    const reader = res.body!.getReader();
    await reader.read();
    const pid = host.engine.state().slots[0]!.pid!;
    const killedAt = Date.now();
    process.kill(-pid, 'SIGKILL');
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(rest).toMatch(/data: \{"error":\{"message":"the model server stopped in the middle of the response/);
    expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
    await waitFor(() => host!.engine.state().models[0]!.status === 'failed', 'model marked failed');
    const again = await post(host, '/v1/chat/completions', chat('alpha'));
    expect(again.status).toBe(200);
    expect(await host.sim.launches()).toHaveLength(2);
    expect(listGroupMembers(pid)).toEqual([]);
  });

  it('client disconnect during a load: the load continues, and nothing is left waiting', async () => {
    host = await startRouterHost([{ id: 'alpha', shards: 4 }]);
    const ac = new AbortController();
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('alpha', { stream: true })),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first status line
    expect(host.engine.state().requests).toMatchObject([{ modelId: 'alpha', state: 'waiting', position: 1, stream: true }]);
    ac.abort();
    await waitFor(() => host!.engine.state().requests.length === 0, 'the waiting request withdrawn');
    await waitFor(() => host!.engine.state().activeModel === 'alpha', 'the load to finish anyway');
    expect(await host.sim.launches()).toHaveLength(1);
  });

  it('client disconnect mid-stream aborts the upstream request', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { tokensPerS: 20 });
    await host.engine.ensureReady('alpha', 'manual');
    const backend = `http://127.0.0.1:${host.engine.state().slots[0]!.port}`;
    const load = async () => ((await (await fetch(`${backend}/get_load`)).json()) as { num_reqs: number }[])[0]!.num_reqs;
    const ac = new AbortController();
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('alpha', { stream: true, max_tokens: 1000 })),
      signal: ac.signal,
    });
    await res.body!.getReader().read();
    expect(await load()).toBe(1);
    ac.abort();
    await waitFor(async () => (await load()) === 0, 'the backend request to be aborted');
    await waitFor(() => host!.engine.state().requests.length === 0, 'the lease released');
    expect(host.engine.state().models[0]!.inFlight).toBe(0);
  });
});
