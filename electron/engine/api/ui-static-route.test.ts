import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineHttpHandler } from '../engine-http-handler.js';
import { startHttpServer, type RunningHttpServer } from './start-http-server.js';
import { ScriptedEngine } from './testing/scripted-engine.js';
import { TEST_ADMIN_TOKEN } from './testing/start-admin-server.js';
import { createUiStaticRoute } from './ui-static-route.js';
import { createEngineAccess } from './access/engine-access.js';

const catalogOwner = new ScriptedEngine();
const access = createEngineAccess({ router: () => catalogOwner.catalog().router, adminToken: TEST_ADMIN_TOKEN });

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends the path exactly as written (fetch and undici would normalise `..` away). */
function rawRequest(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let built: RunningHttpServer;
let unbuilt: RunningHttpServer;
const INDEX = '<!doctype html><title>Switchboard</title><script type="module" src="./assets/index-CY0phdQr.js"></script>';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchboard-ui-'));
  const root = join(dir, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-CY0phdQr.js'), 'console.log("ui");');
  await writeFile(join(root, 'assets', 'index-CJZS4R9l.css'), 'body{}');
  await writeFile(join(root, 'favicon.svg'), '<svg/>');
  await writeFile(join(dir, 'secret.txt'), 'TOP-SECRET');
  built = await startHttpServer({ host: '127.0.0.1', port: 0, handler: createUiStaticRoute(access, { rootDir: root }) });
  unbuilt = await startHttpServer({ host: '127.0.0.1', port: 0, handler: createUiStaticRoute(access, { rootDir: join(dir, 'missing') }) });
});
afterAll(async () => {
  await built?.close();
  await unbuilt?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('/ui/ static route', () => {
  it('redirects /ui to /ui/ with 308, keeping the query', async () => {
    const res = await rawRequest(built.url, '/ui?key=1');
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe('/ui/?key=1');
  });

  it('serves index.html at /ui/ without caching it', async () => {
    const res = await rawRequest(built.url, '/ui/');
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
    expect(Number(res.headers['content-length'])).toBe(INDEX.length);
  });

  it.each([
    ['evil.example', 403],
    ['evil.example:80', 403],
    ['127.0.0.1.nip.io', 403],
    ['localhost', 200],
    ['127.0.0.2:1234', 200],
    ['[::1]:8002', 200],
  ])('under the Host %s answers %i (DNS rebinding gets no UI)', async (host, status) => {
    const res = await rawRequest(built.url, '/ui/', 'GET', { host });
    expect(res.status).toBe(status);
    if (status === 403) expect(JSON.parse(res.body).error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('router.allowedHosts') });
  });

  it.each([
    ['/ui/assets/index-CY0phdQr.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/ui/assets/index-CJZS4R9l.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/ui/favicon.svg', 'image/svg+xml', 'no-cache'],
    ['/ui/index.html?v=2', 'text/html; charset=utf-8', 'no-cache'],
  ])('serves %s as %s (%s)', async (path, type, cache) => {
    const res = await rawRequest(built.url, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cache);
  });

  it('answers HEAD with the headers only, and 304 to a matching If-None-Match', async () => {
    const head = await rawRequest(built.url, '/ui/assets/index-CY0phdQr.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe('console.log("ui");'.length);
    const { etag } = (await rawRequest(built.url, '/ui/')).headers;
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await rawRequest(built.url, '/ui/', 'GET', { 'if-none-match': String(etag) });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('refuses other methods with 405', async () => {
    const res = await rawRequest(built.url, '/ui/', 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(JSON.parse(res.body).error.code).toBe('bad_request');
  });

  it.each([
    ['/ui/../secret.txt'],
    ['/ui/assets/../../secret.txt'],
    ['/ui/%2e%2e/secret.txt'],
    ['/ui/%2E%2E%2Fsecret.txt'],
    ['/ui/..%2fsecret.txt'],
    ['/ui/%2fetc%2fpasswd'],
    ['/ui//etc/passwd'],
    ['/ui/index.html%00.js'],
  ])('refuses %s without reading outside the UI', async (path) => {
    const res = await rawRequest(built.url, path);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('TOP-SECRET');
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'bad_request' });
  });

  it('answers 400 to a malformed escape and 404 to a missing file or a folder', async () => {
    expect((await rawRequest(built.url, '/ui/%E0%A4%A')).status).toBe(400);
    const missing = await rawRequest(built.url, '/ui/nope.js');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toEqual({ code: 'not_found', message: 'no file /ui/nope.js' });
    expect((await rawRequest(built.url, '/ui/assets')).status).toBe(404);
    expect((await rawRequest(built.url, '/ui/assets/')).status).toBe(404);
  });

  it('leaves other paths to the next handler', async () => {
    expect((await rawRequest(built.url, '/uix')).status).toBe(404);
    expect(JSON.parse((await rawRequest(built.url, '/api/state')).body).error.message).toBe('no route GET /api/state');
  });

  it('says the UI is not built with 503', async () => {
    const res = await rawRequest(unbuilt.url, '/ui/');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^the UI is not built; run npm run build/) });
    expect((await rawRequest(unbuilt.url, '/ui/assets/index-CY0phdQr.js')).status).toBe(503);
  });

  const packageUi = fileURLToPath(new URL('../../../out/renderer/index.html', import.meta.url));
  it.runIf(existsSync(packageUi))('is part of the engine handler, serving out/renderer of the package by default', async () => {
    const engine = new ScriptedEngine();
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      handler: createEngineHttpHandler(engine, { access: createEngineAccess({ router: () => engine.catalog().router, adminToken: TEST_ADMIN_TOKEN }) }),
    });
    try {
      const res = await rawRequest(server.url, '/ui/');
      expect(res.status).toBe(200);
      expect(res.body).toContain('<div id="root"></div>');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(res.body)![1];
      const asset = await rawRequest(server.url, `/ui/${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
