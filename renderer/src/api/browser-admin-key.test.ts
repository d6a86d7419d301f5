import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { createAdminKeyStorage, type AdminKeyStorage } from '../settings/admin-key-storage.js';
import { createBrowserAdminKey } from './browser-admin-key.js';
import type { BrowserAccessState } from './browser-access-store.js';

const SESSION_URL = 'http://127.0.0.1:8002/api/session';
const TOKEN = 't'.repeat(43);
const ADMIN_KEY = 'admin-key-0123456789abcdef';

/**
 * Answers GET /api/session as the engine does (electron/engine/api/admin-http.ts): an admin key in
 * the Authorization header wins, then the local user gets the token, else 401. `down` makes the
 * request fail like a refused TCP connection; `status` forces another answer.
 */
function engineSession(engine: { localUser?: boolean; adminKeys?: string[]; down?: boolean; status?: number }) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
  const fetch = (async (url: string, init?: RequestInit) => {
    requests.push({ url, init });
    if (engine.down) throw new TypeError('fetch failed');
    if (engine.status === 403) return json(403, { error: { code: 'forbidden', message: 'Host "box.lan" is not a name this engine is reachable by' } });
    if (engine.status !== undefined) return json(engine.status, { error: { code: 'not_found', message: 'no route GET /api/session' } });
    const bearer = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '');
    if (bearer !== undefined && (engine.adminKeys ?? []).includes(bearer)) return json(200, { via: 'admin-key', adminToken: null });
    if (engine.localUser) return json(200, { via: 'local-user', adminToken: TOKEN });
    return json(401, { error: { code: 'unauthorized', message: "this client is not the engine's own user on this machine" } });
  }) as typeof globalThis.fetch;
  return { fetch, requests, engine };
}

function keysWith(saved: string | null): AdminKeyStorage {
  const map = new Map<string, string>(saved === null ? [] : [['switchboard.adminKey', saved]]);
  return createAdminKeyStorage({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) });
}

function setup(engine: Parameters<typeof engineSession>[0], saved: string | null = null, recheckMs = 60_000) {
  const session = engineSession(engine);
  const access = createStore<BrowserAccessState>()(() => ({ status: 'not-needed', message: null }));
  const keys = keysWith(saved);
  const adminKey = createBrowserAdminKey({ sessionUrl: SESSION_URL, keys, access, fetch: session.fetch, recheckMs });
  return { ...session, access, keys, adminKey };
}

/** Starts `adminKey()` and tracks whether it has answered yet. */
function start(adminKey: () => Promise<string | undefined>) {
  const tracked = { settled: false, key: adminKey() };
  void tracked.key.then(() => (tracked.settled = true));
  return tracked;
}

describe('createBrowserAdminKey', () => {
  it('uses the token the engine hands its own user, asking without cookies or cache', async () => {
    const { adminKey, access, requests } = setup({ localUser: true });
    expect(await adminKey()).toBe(TOKEN);
    expect(access.getState()).toEqual({ status: 'local-user', message: null });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe(SESSION_URL);
    expect(requests[0]!.init).toMatchObject({ credentials: 'omit', cache: 'no-store' });
    expect(new Headers(requests[0]!.init?.headers).has('authorization')).toBe(false);
  });

  it('asks again at every connect (the token comes fresh each time)', async () => {
    const { adminKey, requests } = setup({ localUser: true });
    await adminKey();
    await adminKey();
    expect(requests).toHaveLength(2);
  });

  it('uses the saved key when the engine accepts it, sending it so the engine can say so', async () => {
    const { adminKey, access, requests } = setup({ adminKeys: [ADMIN_KEY] }, ADMIN_KEY);
    expect(await adminKey()).toBe(ADMIN_KEY);
    expect(access.getState().status).toBe('admin-key');
    expect(new Headers(requests[0]!.init?.headers).get('authorization')).toBe(`Bearer ${ADMIN_KEY}`);
  });

  it('with no token and no key: says a key is needed and waits until one is saved', async () => {
    const { adminKey, access, keys, requests } = setup({ adminKeys: [ADMIN_KEY] });
    const pending = start(adminKey);
    await expect.poll(() => access.getState().status).toBe('needs-key');
    expect(pending.settled).toBe(false);
    expect(requests).toHaveLength(1);
    keys.getState().save(ADMIN_KEY);
    expect(await pending.key).toBe(ADMIN_KEY);
    expect(access.getState().status).toBe('admin-key');
  });

  it('with a wrong saved key: says it was refused, and tries again when a key is saved, even the same one', async () => {
    const { adminKey, access, keys, requests, engine } = setup({ adminKeys: [ADMIN_KEY] }, 'wrong-key-0123456789');
    const pending = start(adminKey);
    await expect.poll(() => access.getState().status).toBe('key-refused');
    expect(pending.settled).toBe(false);
    keys.getState().save('still-wrong-0123456789');
    expect(access.getState().status).toBe('checking');
    await expect.poll(() => access.getState().status).toBe('key-refused');
    expect(requests).toHaveLength(2);
    // The operator adds the key to router.adminKeys; saving it again is the retry.
    engine.adminKeys = [ADMIN_KEY, 'still-wrong-0123456789'];
    keys.getState().save('still-wrong-0123456789');
    expect(await pending.key).toBe('still-wrong-0123456789');
    expect(access.getState().status).toBe('admin-key');
  });

  it('asks the engine again after a while without a save (router.adminKeys may have changed)', async () => {
    const { adminKey, access, requests, engine } = setup({ adminKeys: [] }, ADMIN_KEY, 30);
    const key = adminKey();
    await expect.poll(() => access.getState().status).toBe('key-refused');
    engine.adminKeys = [ADMIN_KEY];
    expect(await key).toBe(ADMIN_KEY);
    expect(requests.length).toBeGreaterThanOrEqual(2);
  });

  it('tells "engine down" apart from "no key", and lets the transport try (and back off)', async () => {
    const { adminKey, access } = setup({ down: true }, ADMIN_KEY);
    expect(await adminKey()).toBe(ADMIN_KEY);
    expect(access.getState().status).toBe('engine-down');
    const none = setup({ down: true });
    expect(await none.adminKey()).toBeUndefined();
    expect(none.access.getState().status).toBe('engine-down');
  });

  it('reports the engine refusing the page (403) with its reason, and does not connect', async () => {
    const { adminKey, access } = setup({ status: 403 }, ADMIN_KEY);
    const pending = start(adminKey);
    await expect.poll(() => access.getState().status).toBe('forbidden');
    expect(access.getState().message).toBe('Host "box.lan" is not a name this engine is reachable by');
    expect(pending.settled).toBe(false);
  });

  it('falls back to the saved key when the engine has no /api/session (an older engine)', async () => {
    const { adminKey, access } = setup({ status: 404 }, ADMIN_KEY);
    expect(await adminKey()).toBe(ADMIN_KEY);
    expect(access.getState()).toEqual({ status: 'unknown', message: 'no route GET /api/session' });
  });
});
