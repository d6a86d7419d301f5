import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlotView } from '../../../shared/engine-state.js';
import { EngineError } from '../../../shared/engine-error.js';
import { ScriptedEngine } from './testing/scripted-engine.js';
import { fetchJson, startAdminServer, TEST_ADMIN_TOKEN, waitFor, type AdminTestServer } from './testing/start-admin-server.js';

let t: AdminTestServer;
beforeEach(async () => {
  t = await startAdminServer();
});
afterEach(async () => {
  await t.close();
});

const post = (path: string, body?: string) => t.fetch(path, { method: 'POST', body });

describe('GET /health and /api/state', () => {
  it('reports uptime, the active model and each slot', async () => {
    const { status, body } = await t.fetch(`/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', activeModel: null, slots: [{ id: 'main', status: 'stopped', modelId: null, phase: null }] });
    expect(body.uptimeS).toBeGreaterThanOrEqual(65);
  });

  it('shows the phase of a load under way', async () => {
    t.engine.ensureReady('qwen', 'manual').catch(() => undefined);
    t.engine.progress('weights', 0.5, 'shard 4/9');
    const { body } = await t.fetch(`/health`);
    expect(body.slots[0]).toEqual({ id: 'main', status: 'loading', modelId: 'qwen-32b', phase: 'weights' });
  });

  it('returns the engine state', async () => {
    const { status, body } = await t.fetch(`/api/state`);
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
    expect(t.engine.state().slots[0]?.status).toBe('starting');
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
    expect(body.slot as SlotView).toMatchObject({ status: 'ready', modelId: 'qwen-32b' });
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
      const { status, body } = await busy.fetch('/api/models/qwen-32b/switch', { method: 'POST' });
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
    expect(t.engine.state().slots[0]?.status).toBe('stopped');
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
    const { status, body } = await t.fetch(`/api/logs${query}`);
    expect(status).toBe(200);
    expect(body.lines).toHaveLength(count);
    expect(body.lines[0]?.text).toBe(first);
  });

  it.each(['10001', '-1', 'abc', '2.5', ''])('answers 400 for tail=%s', async (tail) => {
    const { status, body } = await t.fetch(`/api/logs?tail=${tail}`);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/"tail" must be a whole number from 0 to 10000/);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown /api route', async () => {
    const { status, body } = await t.fetch(`/api/nope`);
    expect(status).toBe(404);
    expect(body.error).toEqual({ code: 'not_found', message: 'no route GET /api/nope' });
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const { status, headers, body } = await t.fetch(`/api/stop`);
    expect(status).toBe(405);
    expect(headers.allow).toBe('POST');
    expect(body.error.message).toBe('GET is not allowed on /api/stop; use POST');
  });
});

describe('keys', () => {
  let secured: AdminTestServer;
  beforeEach(async () => {
    secured = await startAdminServer({ router: { apiKeys: ['sk-one', 'sk-two'], adminKeys: ['admin-key-0123456789'] } });
  });
  afterEach(async () => {
    await secured.close();
  });

  it.each([
    ['no header', {}],
    ['a wrong key', { authorization: 'Bearer sk-three' }],
    ['an admin key prefix', { authorization: 'Bearer admin-key-012345678' }],
    ['another scheme', { authorization: `Basic ${TEST_ADMIN_TOKEN}` }],
  ])('answers 401 with %s', async (_name, headers) => {
    for (const path of ['/health', '/api/state', '/api/nope']) {
      const { status, body } = await fetchJson(secured.url + path, { headers });
      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthorized');
    }
  });

  it.each(['sk-one', 'sk-two'])('takes the inference key %s for /health but never for /api/', async (key) => {
    const headers = { authorization: `Bearer ${key}` };
    expect((await fetchJson(`${secured.url}/health`, { headers })).status).toBe(200);
    for (const path of ['/api/state', '/api/logs', '/api/nope']) {
      const { status, body } = await fetchJson(secured.url + path, { headers });
      expect(status).toBe(401);
      expect(body.error.message).toMatch(/inference keys \(router.apiKeys\) do not open \/api\//);
    }
    const switched = await fetchJson(`${secured.url}/api/models/qwen/switch`, { method: 'POST', body: '{}', headers: { ...headers, 'content-type': 'application/json' } });
    expect(switched.status).toBe(401);
    expect(secured.engine.switches).toEqual([]);
  });

  it.each([
    ['an admin key from the catalog', 'admin-key-0123456789'],
    ['the admin token', TEST_ADMIN_TOKEN],
  ])('opens /health and /api/ with %s', async (_name, key) => {
    const headers = { authorization: `Bearer ${key}` };
    expect((await fetchJson(`${secured.url}/health`, { headers })).status).toBe(200);
    expect((await fetchJson(`${secured.url}/api/state`, { headers })).status).toBe(200);
    const switched = await fetchJson(`${secured.url}/api/models/qwen/switch`, { method: 'POST', body: '{}', headers: { ...headers, 'content-type': 'application/json' } });
    expect(switched.status).toBe(202);
  });

  it('reads the keys live: a catalog change takes effect on the next request', async () => {
    const headers = { authorization: 'Bearer admin-key-added-later-0000' };
    expect((await fetchJson(`${secured.url}/api/state`, { headers })).status).toBe(401);
    const catalog = structuredClone(secured.engine.catalog());
    catalog.router.adminKeys = ['admin-key-added-later-0000'];
    secured.engine.replaceCatalog(catalog, 'rev-2');
    expect((await fetchJson(`${secured.url}/api/state`, { headers })).status).toBe(200);
    expect((await fetchJson(`${secured.url}/api/state`, { headers: { authorization: 'Bearer admin-key-0123456789' } })).status).toBe(401);
  });
});

describe('without any key', () => {
  it('answers /health to anyone when router.apiKeys is empty, but /api/ only with an admin key', async () => {
    expect((await fetchJson(`${t.url}/health`)).status).toBe(200);
    const { status, headers, body } = await fetchJson(`${t.url}/api/state`);
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe('Bearer');
    expect(body.error.message).toMatch(/the admin API needs an admin key/);
  });
});

describe('GET /api/session', () => {
  const ownUid = process.getuid?.() ?? 1000;

  it.each([
    ["the engine's own user", ownUid, 200],
    ['root', 0, 200],
    ['another user', ownUid + 4242, 401],
    ['a client not on this machine', null, 401],
  ])('for %s answers %i', async (_name, uid, status) => {
    const server = await startAdminServer({ peerUid: async () => uid });
    try {
      const res = await fetchJson(`${server.url}/api/session`);
      expect(res.status).toBe(status);
      expect(res.headers['cache-control']).toBe('no-store');
      if (status === 200) expect(res.body).toEqual({ via: 'local-user', adminToken: TEST_ADMIN_TOKEN });
      else expect(res.body.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/not the engine's own user/) });
    } finally {
      await server.close();
    }
  });

  it("finds the real peer: this test process, over loopback, is the engine's own user", async () => {
    const res = await fetchJson(`${t.url}/api/session`);
    expect(res).toMatchObject({ status: 200, body: { via: 'local-user', adminToken: TEST_ADMIN_TOKEN } });
  });

  it.each([
    ['forwarded by a proxy', { 'x-forwarded-for': '203.0.113.9' }],
    ['forwarded (RFC 7239)', { forwarded: 'for=203.0.113.9' }],
    ['through a Via proxy', { via: '1.1 caddy' }],
    ['under a LAN name', { host: 'gpu-box.lan:8002' }],
  ])('hands no token to a client of the own user %s', async (_name, headers) => {
    const server = await startAdminServer({ router: { allowedHosts: ['gpu-box.lan'] }, peerUid: async () => ownUid });
    try {
      const res = await fetchJson(`${server.url}/api/session`, { headers });
      expect(res.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('confirms an admin key without handing out the token', async () => {
    const server = await startAdminServer({ peerUid: async () => null });
    try {
      const res = await server.fetch('/api/session');
      expect(res).toMatchObject({ status: 200, body: { via: 'admin-key', adminToken: null } });
    } finally {
      await server.close();
    }
  });

  it('is GET only', async () => {
    const res = await t.fetch('/api/session', { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
  });
});
