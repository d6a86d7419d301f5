import { describe, expect, it } from 'vitest';
import { checkRequestAccess, isAllowedHost, isAllowedOrigin, isLoopbackHost, isLoopbackHostHeader, type AccessSettings, type RequestFacts, type Surface } from './access-policy.js';

const LOOPBACK: AccessSettings = { bindHost: '127.0.0.1', allowedHosts: [], allowedOrigins: [], corsOrigins: [], localNames: [] };
const LAN: AccessSettings = {
  bindHost: '0.0.0.0',
  allowedHosts: ['gpu-box.lan'],
  allowedOrigins: ['http://localhost:5173'],
  corsOrigins: ['https://chat.example'],
  localNames: ['192.168.1.20', 'fe80::1', 'gpu-box'],
};

function facts(over: Partial<RequestFacts> = {}): RequestFacts {
  return { method: 'GET', host: '127.0.0.1:8002', origin: undefined, secFetchSite: undefined, contentType: undefined, localPort: 8002, ...over };
}

describe('isAllowedHost', () => {
  it.each([
    // [host header, settings, allowed]
    [undefined, LOOPBACK, true],
    ['127.0.0.1:8002', LOOPBACK, true],
    ['127.0.0.1', LOOPBACK, true],
    ['127.1.2.3:9', LOOPBACK, true],
    ['localhost:8002', LOOPBACK, true],
    ['LOCALHOST.:8002', LOOPBACK, true],
    ['[::1]:8002', LOOPBACK, true],
    ['evil.example:8002', LOOPBACK, false],
    ['evil.example', LOOPBACK, false],
    ['127.0.0.1.evil.example', LOOPBACK, false],
    ['localhost.evil.example', LOOPBACK, false],
    ['192.168.1.20:8002', LOOPBACK, false],
    ['a@127.0.0.1', LOOPBACK, false],
    ['127.0.0.1:8002/x', LOOPBACK, false],
    ['[::1', LOOPBACK, false],
    // A wildcard bind answers under the host's own addresses and name, and allowedHosts.
    ['192.168.1.20:8002', LAN, true],
    ['[fe80::1]:8002', LAN, true],
    ['gpu-box', LAN, true],
    ['Gpu-Box.Lan:8002', LAN, true],
    ['10.0.0.9:8002', LAN, false],
    ['rebind.evil.example:8002', LAN, false],
    // A specific bind address is a name of the engine.
    ['10.1.2.3:8002', { ...LOOPBACK, bindHost: '10.1.2.3' }, true],
    ['192.168.1.20:8002', { ...LOOPBACK, bindHost: '10.1.2.3', localNames: ['192.168.1.20'] }, false],
  ] as const)('%s → %s', (host, settings, allowed) => {
    expect(isAllowedHost(host, settings)).toBe(allowed);
  });
});

describe('isAllowedOrigin', () => {
  it.each([
    // [origin, host header, surface, settings, allowed]
    ['http://127.0.0.1:8002', '127.0.0.1:8002', 'admin', LOOPBACK, true],
    ['http://localhost:8002', '127.0.0.1:8002', 'admin', LOOPBACK, true],
    ['http://[::1]:8002', '127.0.0.1:8002', 'admin', LOOPBACK, true],
    ['http://127.0.0.1:8003', '127.0.0.1:8002', 'admin', LOOPBACK, false],
    ['http://localhost:3000', 'localhost:8002', 'admin', LOOPBACK, false],
    ['https://evil.example', '127.0.0.1:8002', 'admin', LOOPBACK, false],
    ['null', '127.0.0.1:8002', 'admin', LOOPBACK, false],
    ['file://', '127.0.0.1:8002', 'admin', LOOPBACK, false],
    ['chrome-extension://abc', '127.0.0.1:8002', 'admin', LOOPBACK, false],
    // The page the engine served through a tunnel on another port: Origin names the Host.
    ['http://localhost:9999', 'localhost:9999', 'admin', LOOPBACK, true],
    ['https://127.0.0.1:8002', '127.0.0.1:8002', 'admin', LOOPBACK, true],
    // DNS rebinding: Host and Origin agree, but the Host is not ours.
    ['http://evil.example:8002', 'evil.example:8002', 'admin', LOOPBACK, false],
    ['http://evil.example:8002', 'evil.example:8002', 'inference', LOOPBACK, false],
    // Lists from the catalog.
    ['http://localhost:5173', '192.168.1.20:8002', 'admin', LAN, true],
    ['http://192.168.1.20:8002', '192.168.1.20:8002', 'admin', LAN, true],
    ['http://gpu-box.lan:8002', 'gpu-box.lan:8002', 'admin', LAN, true],
    ['https://chat.example', '192.168.1.20:8002', 'admin', LAN, false],
    ['https://chat.example', '192.168.1.20:8002', 'inference', LAN, true],
    ['https://other.example', '192.168.1.20:8002', 'inference', LAN, false],
    ['https://other.example', '127.0.0.1:8002', 'inference', { ...LOOPBACK, corsOrigins: ['*'] }, true],
    ['https://other.example', '127.0.0.1:8002', 'admin', { ...LOOPBACK, corsOrigins: ['*'] }, false],
  ] as const)('%s with Host %s on %s → %s', (origin, host, surface, settings, allowed) => {
    expect(isAllowedOrigin(origin, facts({ host, origin }), surface as Surface, settings)).toBe(allowed);
  });
});

describe('checkRequestAccess', () => {
  const json = 'application/json';
  it.each([
    // [what, request facts, surface, expected status or null]
    ['curl without Origin', {}, 'admin', null],
    ['the UI (same origin)', { origin: 'http://127.0.0.1:8002' }, 'admin', null],
    ['a foreign page', { origin: 'http://evil.example' }, 'admin', 403],
    ['a foreign page, even with the JSON type', { method: 'POST', origin: 'http://evil.example', contentType: json }, 'admin', 403],
    ['another local port (same site, other origin)', { method: 'POST', origin: 'http://127.0.0.1:3000', contentType: json }, 'admin', 403],
    ['a cross-site image (no Origin)', { secFetchSite: 'cross-site' }, 'admin', 403],
    ['a same-site image from another port (no Origin)', { secFetchSite: 'same-site' }, 'admin', 403],
    ['the user typing the URL', { secFetchSite: 'none' }, 'admin', null],
    ['a same-origin fetch without Origin', { secFetchSite: 'same-origin' }, 'admin', null],
    ['a foreign Host', { host: 'evil.example:8002' }, 'admin', 403],
    ['a foreign Host for the UI', { host: 'evil.example:8002' }, 'ui', 403],
    ['a link from another site to the UI', { secFetchSite: 'cross-site' }, 'ui', null],
    ['a POST with text/plain (no-cors fetch)', { method: 'POST', contentType: 'text/plain' }, 'admin', 415],
    ['a form POST', { method: 'POST', contentType: 'application/x-www-form-urlencoded' }, 'admin', 415],
    ['a multipart form', { method: 'POST', contentType: 'multipart/form-data; boundary=x' }, 'admin', 415],
    ['a POST without a type', { method: 'POST' }, 'admin', 415],
    ['a DELETE without a type', { method: 'DELETE' }, 'admin', 415],
    ['a JSON POST', { method: 'POST', contentType: 'application/json; charset=utf-8' }, 'admin', null],
    ['a JSON POST in capitals', { method: 'POST', contentType: 'Application/JSON' }, 'admin', null],
    ['a lookalike type', { method: 'POST', contentType: 'application/jsonp' }, 'admin', 415],
    // /v1: Open WebUI's server sends no Origin, and any Host (e.g. host.docker.internal).
    ['Open WebUI from its server', { method: 'POST', host: 'host.docker.internal:8002', contentType: json }, 'inference', null],
    ['a text/plain inference POST from a script', { method: 'POST', contentType: 'text/plain' }, 'inference', null],
    ['a foreign page on /v1 (no-cors)', { method: 'POST', origin: 'http://evil.example', contentType: 'text/plain' }, 'inference', 403],
    ['a cross-site script tag on /v1', { secFetchSite: 'cross-site' }, 'inference', 403],
  ] as const)('%s → %s', (_what, over, surface, status) => {
    const refusal = checkRequestAccess(facts(over as Partial<RequestFacts>), surface as Surface, LOOPBACK);
    expect(refusal?.status ?? null).toBe(status);
  });

  it('checks the Host before the origin and the origin before the body type', () => {
    const all = facts({ method: 'POST', host: 'evil.example', origin: 'http://evil.example', contentType: 'text/plain' });
    expect(checkRequestAccess(all, 'admin', LOOPBACK)).toMatchObject({ status: 403, message: expect.stringContaining('DNS rebinding') });
    const originAndType = facts({ method: 'POST', origin: 'http://evil.example', contentType: 'text/plain' });
    expect(checkRequestAccess(originAndType, 'admin', LOOPBACK)).toMatchObject({ status: 403, message: expect.stringContaining('origin http://evil.example') });
  });

  it('says what to configure', () => {
    expect(checkRequestAccess(facts({ host: 'box.lan' }), 'admin', LOOPBACK)?.message).toContain('router.allowedHosts');
    expect(checkRequestAccess(facts({ origin: 'http://x.example' }), 'admin', LOOPBACK)?.message).toContain('router.allowedOrigins');
    expect(checkRequestAccess(facts({ origin: 'http://x.example' }), 'inference', LOOPBACK)?.message).toContain('router.corsOrigins');
    expect(checkRequestAccess(facts({ method: 'POST', contentType: 'text/plain' }), 'admin', LOOPBACK)?.message).toContain('Content-Type: application/json');
  });
});

describe('loopback names', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.20', false],
    ['localhost.evil.example', false],
  ])('bind address %s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each([
    [undefined, true],
    ['127.0.0.1:8002', true],
    ['localhost', true],
    ['[::1]:8002', true],
    ['gpu-box.lan:8002', false],
    ['127.0.0.1.nip.io', false],
    ['[::1', false],
  ] as const)('Host header %s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHostHeader(host)).toBe(loopback);
  });
});
