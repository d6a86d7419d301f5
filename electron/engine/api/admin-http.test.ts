import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlotView } from '../../../shared/engine-state.js';
import { EngineError } from '../engine-error.js';
import { ScriptedEngine } from './testing/scripted-engine.js';
import { fetchJson, startAdminServer, waitFor, type AdminTestServer } from './testing/start-admin-server.js';

let t: AdminTestServer;
beforeEach(async () => {
  t = await startAdminServer();
});
afterEach(async () => {
  await t.close();
});

const post = (path: string, body?: string) => fetchJson(t.url + path, { method: 'POST', body });

describe('GET /health and /api/state', () => {
  it('reports uptime, the active model and each slot', async () => {
    const { status, body } = await fetchJson(`${t.url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', activeModel: null, slots: [{ id: 'main', status: 'stopped', modelId: null, phase: null }] });
    expect(body.uptimeS).toBeGreaterThanOrEqual(65);
  });

  it('shows the phase of a load under way', async () => {
    t.engine.ensureReady('qwen', 'manual').catch(() => undefined);
    t.engine.progress('weights', 0.5, 'shard 4/9');
    const { body } = await fetchJson(`${t.url}/health`);
    expect(body.slots[0]).toEqual({ id: 'main', status: 'loading', modelId: 'qwen-32b', phase: 'weights' });
  });

  it('returns the engine state', async () => {
    const { status, body } = await fetchJson(`${t.url}/api/state`);
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(t.engine.state())));
    expect(body.models.map((m: { id: string }) => m.id)).toEqual(['qwen-32b', 'llama-70b', 'mistral-123b']);
  });
});

describe('POST /api/models/{id}/switch', () => {
  it('answers 202 at once and leaves the switch running', async () => {
    const { status, body } = await post('/api/models/llama-70b/switch');
    expect(status).toBe(202);
    expect(body).toEqual({ accepted: true, modelId: 'llama-70b' });
    expect(t.engine.switches).toEqual([{ modelId: 'llama-70b', cause: 'manual' }]);
    expect(t.engine.state().slots[0].status).toBe('starting');
  });

  it('resolves an alias to the canonical id and takes the cause from the body', async () => {
    const { status, body } = await post('/api/models/large/switch', JSON.stringify({ cause: 'cli' }));
    expect(status).toBe(202);
    expect(body.modelId).toBe('mistral-123b');
    expect(t.engine.switches).toEqual([{ modelId: 'mistral-123b', cause: 'cli' }]);
  });

  it('with ?wait=1 answers 200 with the slot once the model is ready', async () => {
    const answer = post('/api/models/qwen-32b/switch?wait=1');
    await waitFor(() => t.engine.switches.length === 1, 5_000, 'the switch to start');
    t.engine.progress('weights', 1);
    t.engine.ready();
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect((body.slot as SlotView)).toMatchObject({ status: 'ready', modelId: 'qwen-32b' });
  });

  it('with wait answers 503 load_failed carrying the diagnosis', async () => {
    const answer = post('/api/models/qwen-32b/switch', JSON.stringify({ wait: true }));
    await waitFor(() => t.engine.switches.length === 1, 5_000, 'the switch to start');
    t.engine.fail({ cause: 'oom', message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic' });
    const { status, body } = await answer;
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: 'load_failed', message: 'CUDA out of memory while loading weights' });
    expect(body.error.details.failure.hint).toBe('lower memFractionStatic');
  });

  it('answers 404 for an unknown model, listing the known ids', async () => {
    const { status, body } = await post('/api/models/gpt-5/switch');
    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: 'unknown_model',
      message: 'unknown model "gpt-5"; known: qwen-32b, llama-70b, mistral-123b',
      details: { known: ['qwen-32b', 'llama-70b', 'mistral-123b'] },
    });
    expect(t.engine.switches).toEqual([]);
  });

  it('decodes percent-encoded ids', async () => {
    const { status, body } = await post(`/api/models/${encodeURIComponent('what ever')}/switch`);
    expect(status).toBe(404);
    expect(body.error.message).toMatch(/^unknown model "what ever"/);
  });

  it.each([
    ['invalid JSON', '{"wait": tru', /not valid JSON/],
    ['a non-object', '[1]', /must be a JSON object/],
    ['a bad wait', '{"wait":"soon"}', /"wait" must be/],
    ['an engine-only cause', '{"cause":"idle"}', /"cause" must be one of: manual, cli/],
  ])('answers 400 for %s', async (_name, body, message) => {
    const res = await post('/api/models/qwen-32b/switch', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toMatch(message);
    expect(t.engine.switches).toEqual([]);
  });

  it('reports an immediate engine rejection instead of 202', async () => {
    class BusyEngine extends ScriptedEngine {
      override ensureReady(): Promise<SlotView> {
        return Promise.reject(new EngineError('conflict', 'a forced switch is in progress'));
      }
    }
    const busy = await startAdminServer({}, new BusyEngine());
    try {
      const { status, body } = await fetchJson(`${busy.url}/api/models/qwen-32b/switch`, { method: 'POST' });
      expect(status).toBe(409);
      expect(body.error).toEqual({ code: 'conflict', message: 'a forced switch is in progress' });
    } finally {
      await busy.close();
    }
  });
});

describe('POST /api/stop', () => {
  it('stops the backend and answers 200 when stopped', async () => {
    await post('/api/models/qwen/switch');
    const { status, body } = await post('/api/stop');
    expect(status).toBe(200);
    expect(body).toEqual({ stopped: true });
    expect(t.engine.stops).toEqual(['manual']);
    expect(t.engine.state().slots[0].status).toBe('stopped');
  });
});

describe('GET /api/logs', () => {
  beforeEach(() => {
    for (let i = 1; i <= 250; i += 1) t.engine.log(`line ${i}`);
  });

  it.each([
    ['', 200, 'line 51'],
    ['?tail=5', 5, 'line 246'],
    ['?tail=10000', 250, 'line 1'],
    ['?tail=0', 0, undefined],
  ])('tail%s gives %i lines', async (query, count, first) => {
    const { status, body } = await fetchJson(`${t.url}/api/logs${query}`);
    expect(status).toBe(200);
    expect(body.lines).toHaveLength(count);
    expect(body.lines[0]?.text).toBe(first);
  });

  it.each(['10001', '-1', 'abc', '2.5', ''])('answers 400 for tail=%s', async (tail) => {
    const { status, body } = await fetchJson(`${t.url}/api/logs?tail=${tail}`);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/"tail" must be a whole number from 0 to 10000/);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown /api route', async () => {
    const { status, body } = await fetchJson(`${t.url}/api/nope`);
    expect(status).toBe(404);
    expect(body.error).toEqual({ code: 'not_found', message: 'no route GET /api/nope' });
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const { status, headers, body } = await fetchJson(`${t.url}/api/stop`);
    expect(status).toBe(405);
    expect(headers.allow).toBe('POST');
    expect(body.error.message).toBe('GET is not allowed on /api/stop; use POST');
  });
});

describe('API keys', () => {
  let secured: AdminTestServer;
  beforeEach(async () => {
    secured = await startAdminServer({ apiKeys: ['sk-one', 'sk-two'] });
  });
  afterEach(async () => {
    await secured.close();
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { authorization: 'Bearer sk-three' }],
    ['a key prefix', { authorization: 'Bearer sk-on' }],
    ['another scheme', { authorization: 'Basic sk-one' }],
  ])('answers 401 with %s', async (_name, headers) => {
    for (const path of ['/health', '/api/state', '/api/nope']) {
      const { status, body } = await fetchJson(secured.url + path, { headers });
      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthorized');
    }
  });

  it.each(['sk-one', 'sk-two'])('accepts the key %s', async (key) => {
    const { status } = await fetchJson(`${secured.url}/api/state`, { headers: { authorization: `Bearer ${key}` } });
    expect(status).toBe(200);
  });
});
