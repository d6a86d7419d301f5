// CORS on /v1 is off unless router.corsOrigins lists the page's origin: a browser page of another
// site can neither read nor trigger anything there; a listed origin gets the CORS headers it needs.

import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouterHost, type RouterHost } from './support/router-host.js';

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const CHAT = JSON.stringify({ model: 'alpha', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });

async function send(path: string, init: { method?: 'GET' | 'POST' | 'OPTIONS'; headers?: Record<string, string>; body?: string }) {
  const res = await request(`${host!.url}${path}`, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('CORS on /v1', () => {
  it('is off by default: no CORS headers, and a page of another site is refused before anything loads', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const preflight = await send('/v1/chat/completions', { method: 'OPTIONS', headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await send('/v1/chat/completions', { method: 'POST', headers: { origin: 'https://chat.example', 'content-type': 'text/plain' }, body: CHAT });
    expect(simple.status).toBe(403);
    expect(JSON.parse(simple.text).error).toMatchObject({ type: 'invalid_request_error', code: 'forbidden', message: expect.stringContaining('router.corsOrigins') });
    // The same for Anthropic's Messages API (a page's no-cors POST, or one naming itself only in Sec-Fetch-Site), in its error shape.
    const pages: [Record<string, string>, RegExp][] = [
      [{ origin: 'https://chat.example' }, /router\.corsOrigins/],
      [{ 'sec-fetch-site': 'cross-site' }, /another site's page .*may not use the router/],
    ];
    for (const [page, why] of pages) {
      const messages = await send('/v1/messages', { method: 'POST', headers: { ...page, 'content-type': 'text/plain' }, body: CHAT });
      expect(messages.status).toBe(403);
      expect(JSON.parse(messages.text)).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringMatching(why) } });
    }
    expect(await host.sim.launches()).toEqual([]);
    // Server-side callers (Open WebUI) send no Origin and are unaffected.
    expect((await send('/v1/models', {})).status).toBe(200);
  });

  it("answers a listed origin's preflight and requests with its CORS headers; others stay refused", async () => {
    host = await startRouterHost([{ id: 'alpha' }], { patch: (input) => void (input.router = { ...input.router, corsOrigins: ['https://chat.example'] }) });
    const preflight = await send('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://chat.example',
      vary: 'Origin, Access-Control-Request-Headers',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type',
    });
    // The headers an SDK asks for are allowed (its own x-stainless-*); a list that is not header names gets the default list.
    const sdkHeaders = 'authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-retry-count';
    const sdk = await send('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': sdkHeaders },
    });
    expect(sdk.headers['access-control-allow-headers']).toBe(sdkHeaders);
    const odd = await send('/v1/messages', {
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key, a b, (c)' },
    });
    expect(odd.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, x-switchboard-loading, x-api-key, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access',
    );
    const models = await send('/v1/models', { headers: { origin: 'https://chat.example' } });
    expect(models.status).toBe(200);
    expect(models.headers['access-control-allow-origin']).toBe('https://chat.example');
    const chat = await send('/v1/chat/completions', { method: 'POST', headers: { origin: 'https://chat.example', 'content-type': 'application/json' }, body: CHAT });
    expect(chat.status).toBe(200);
    expect(chat.headers['access-control-allow-origin']).toBe('https://chat.example');

    const other = await send('/v1/models', { headers: { origin: 'https://other.example' } });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // CORS on /v1 never opens the admin API.
    const admin = await send('/api/state', { headers: { origin: 'https://chat.example', ...host.adminHeaders } });
    expect(admin.status).toBe(403);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
  });
});
