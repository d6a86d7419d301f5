// Who may steer the host, on the real engine over the SGLang simulator and the fake nvidia-smi,
// assembled as `switchboard serve` assembles it: every cell of the request matrix (client × route)
// is sent for real, its status checked against the table, and after every refused cell nothing
// has changed (no launch, no stop, no power limit). The matrix is written to
// test-results/access-matrix.md for the closing note of issue 12.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { catalogSchema } from '../../shared/catalog-schema.js';
import { createEngineApi } from '../../electron/engine/api/create-engine-api.js';
import { startEngineServer, type EngineServer } from '../../electron/engine/api/start-engine-server.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../electron/system/nvidia-smi/testing/fake-nvidia-smi.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const run = promisify(execFile);
const MATRIX_FILE = fileURLToPath(new URL('../../test-results/access-matrix.md', import.meta.url));
const UI_BUILT = existsSync(fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url)));
const INFERENCE_KEY = 'sk-inference-only';

let host: SimHost;
let engine: Engine;
let server: EngineServer;
let port: number;
let gpuUuid: string;
let fakeState: Awaited<ReturnType<typeof useFakeNvidiaSmiState>>;
const pids = new Set<number>();

beforeAll(async () => {
  fakeState = await useFakeNvidiaSmiState();
  process.env.FAKE_NVIDIA_SMI_PRIVILEGED = '1';
  host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
  const input = { ...host.catalogInput, router: { ...host.catalogInput.router, apiKeys: [INFERENCE_KEY] }, gpu: { nvidiaSmiPath: FAKE_NVIDIA_SMI, sampleIntervalMs: 200 } };
  engine = await createEngine({ catalog: catalogSchema.parse(input), configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, systemd: { isRoot: true } });
  engine.subscribe((e) => {
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir: host.dir, handlers: createEngineApi(engine, 'test').handlers });
  port = Number(new URL(server.url).port);
  gpuUuid = (await engine.gpu()).samples[1]!.uuid;
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await server?.close();
  for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
  await host?.cleanup();
  await fakeState?.cleanup();
  delete process.env.FAKE_NVIDIA_SMI_PRIVILEGED;
});

type RouteName = 'switch' | 'stop' | 'power' | 'state' | 'session' | 'chat' | 'ui' | 'ws';
const ROUTES: Record<Exclude<RouteName, 'ws'>, { method: 'GET' | 'POST'; path: () => string; body?: () => string }> = {
  switch: { method: 'POST', path: () => '/api/models/alpha/switch', body: () => '{}' },
  stop: { method: 'POST', path: () => '/api/stop', body: () => '{}' },
  power: { method: 'POST', path: () => '/api/gpu/power-limit', body: () => JSON.stringify({ gpu: gpuUuid, watts: 200, revertAfterS: 60 }) },
  state: { method: 'GET', path: () => '/api/state' },
  session: { method: 'GET', path: () => '/api/session' },
  chat: { method: 'POST', path: () => '/v1/chat/completions', body: () => JSON.stringify({ model: 'beta', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }) },
  ui: { method: 'GET', path: () => '/ui/' },
};

/** A kind of client: the headers its requests carry (per method), and what each route answers it. */
interface Client {
  name: string;
  headers(method: 'GET' | 'POST'): Record<string, string>;
  /** Status per route; '—' where this client cannot send that request (a browser never omits Origin on a POST). */
  expect: Partial<Record<RouteName, number | '—'>>;
}

const UI = UI_BUILT ? 200 : 503;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };
const own = () => `http://127.0.0.1:${port}`;

/** Clients that must change nothing. Their cells run first; the state is checked after them. */
const HARMLESS: Client[] = [
  { name: 'curl, no key (this user)', headers: (m) => (m === 'POST' ? json : {}), expect: { switch: 401, stop: 401, power: 401, state: 401, session: 200, chat: 401, ui: UI, ws: 401 } },
  {
    name: 'curl, inference key',
    headers: (m) => ({ ...bearer(INFERENCE_KEY), ...(m === 'POST' ? json : {}) }),
    expect: { switch: 401, stop: 401, power: 401, state: 401, session: 200, ui: UI, ws: 401 },
  },
  {
    name: 'curl, admin token, text/plain body',
    headers: (m) => ({ ...bearer(server.adminToken), ...(m === 'POST' ? { 'content-type': 'text/plain' } : {}) }),
    expect: { switch: 415, stop: 415, power: 415 },
  },
  {
    name: 'page of another site: no-cors fetch (text/plain)',
    headers: (m) => ({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', ...(m === 'POST' ? { 'content-type': 'text/plain' } : {}) }),
    expect: { switch: 403, stop: 403, power: 403, state: 403, session: 403, chat: 403, ui: UI, ws: 403 },
  },
  {
    name: 'page of another site: form POST (urlencoded)',
    headers: () => ({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }),
    expect: { switch: 403, stop: 403, power: 403, chat: 403 },
  },
  {
    name: 'page of another site with a leaked admin token, JSON',
    headers: () => ({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', ...bearer(server.adminToken), ...json }),
    expect: { switch: 403, stop: 403, power: 403, state: 403, session: 403, chat: 403, ws: 403 },
  },
  {
    name: 'page on another local port (same site)',
    headers: (m) => ({ origin: `http://127.0.0.1:${port + 1}`, 'sec-fetch-site': 'same-site', ...(m === 'POST' ? { 'content-type': 'text/plain' } : {}) }),
    expect: { switch: 403, stop: 403, power: 403, state: 403, session: 403, chat: 403, ws: 403 },
  },
  { name: 'another site: <img>/<script> GET (no Origin)', headers: () => ({ 'sec-fetch-site': 'cross-site' }), expect: { state: 403, session: 403, ui: UI } },
  {
    name: 'DNS rebinding page (Host evil.test, same-origin to itself), leaked token',
    headers: () => ({ host: `evil.test:${port}`, origin: `http://evil.test:${port}`, 'sec-fetch-site': 'same-origin', ...bearer(server.adminToken), ...json }),
    expect: { switch: 403, stop: 403, power: 403, state: 403, session: 403, chat: 403, ui: 403, ws: 403 },
  },
  { name: 'sandboxed iframe / file:// page (Origin: null)', headers: () => ({ origin: 'null', ...json }), expect: { switch: 403, state: 403, chat: 403, ws: 403 } },
];

/** Clients that may steer: their cells run after the harmless ones. */
const ALLOWED: Client[] = [
  {
    name: 'the UI page (same origin), token from /api/session',
    headers: (m) => ({ origin: own(), 'sec-fetch-site': 'same-origin', ...bearer(server.adminToken), ...(m === 'POST' ? json : {}) }),
    expect: { state: 200, session: 200, switch: 202, ws: 101 },
  },
  { name: 'curl / CLI, admin token', headers: (m) => ({ ...bearer(server.adminToken), ...(m === 'POST' ? json : {}) }), expect: { state: 200, session: 200, power: 200, stop: 200, ws: 101 } },
  { name: 'Open WebUI server, inference key', headers: () => ({ host: 'host.docker.internal:8002', ...bearer(INFERENCE_KEY), ...json }), expect: { chat: 200 } },
];

const results: Array<{ client: string; route: RouteName; expected: number | '—'; actual: number | '—' }> = [];

async function send(client: Client, route: RouteName): Promise<number> {
  if (route === 'ws') return handshake(client.headers('GET'));
  const spec = ROUTES[route];
  const body = spec.body?.();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path(), headers: client.headers(spec.method) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** 101 when the WebSocket opened (then closed at once), else the refusal's status. */
function handshake(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, ['switchboard.v1'], { headers });
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
  });
}

async function powerLimits(): Promise<number[]> {
  const { stdout } = await run(FAKE_NVIDIA_SMI, ['--query-gpu=power.limit', '--format=csv,noheader,nounits']);
  return stdout.trim().split('\n').map(Number);
}

async function runCells(clients: Client[]): Promise<void> {
  for (const client of clients) {
    for (const [route, expected] of Object.entries(client.expect) as Array<[RouteName, number | '—']>) {
      if (expected === '—') continue;
      const actual = await send(client, route);
      results.push({ client: client.name, route, expected, actual });
    }
  }
}

describe("the request matrix (origin × method × route → status) on serve's assembly", () => {
  it('refuses every cross-origin, foreign-Host, keyless, inference-key and non-JSON admin request, and nothing changes', async () => {
    const limitsBefore = await powerLimits();
    const stateBefore = engine.state();
    await runCells(HARMLESS);
    for (const r of results) expect(r.actual, `${r.client} → ${r.route}`).toBe(r.expected);
    expect(await host.launches()).toEqual([]);
    expect(await powerLimits()).toEqual(limitsBefore);
    const stateAfter = engine.state();
    expect(stateAfter.slots.map((s) => [s.status, s.modelId])).toEqual(stateBefore.slots.map((s) => [s.status, s.modelId]));
    expect(stateAfter.requests).toEqual([]);
    expect((await engine.gpu()).pendingPowerLimits).toEqual([]);
  }, 60_000);

  it('lets the UI, the CLI and Open WebUI do their work', async () => {
    const harmless = results.length;
    await runCells(ALLOWED);
    for (const r of results.slice(harmless)) expect(r.actual, `${r.client} → ${r.route}`).toBe(r.expected);
    await waitFor(async () => (await host.launches()).length >= 2, 'alpha (switch) and beta (chat) to launch');
    expect((await engine.gpu()).pendingPowerLimits).toHaveLength(1);
    await writeMatrix();
  }, 60_000);
});

/** The matrix as markdown: one row per client, one column per route. */
async function writeMatrix(): Promise<void> {
  const routes: RouteName[] = ['switch', 'stop', 'power', 'state', 'session', 'chat', 'ui', 'ws'];
  const heads: Record<RouteName, string> = {
    switch: 'POST /api/models/{id}/switch',
    stop: 'POST /api/stop',
    power: 'POST /api/gpu/power-limit',
    state: 'GET /api/state',
    session: 'GET /api/session',
    chat: 'POST /v1/chat/completions',
    ui: 'GET /ui/',
    ws: 'WS /api/ws',
  };
  const lines = [`| client | ${routes.map((r) => heads[r]).join(' | ')} |`, `|---|${routes.map(() => '---').join('|')}|`];
  for (const client of [...HARMLESS, ...ALLOWED]) {
    const cells = routes.map((route) => {
      const r = results.find((x) => x.client === client.name && x.route === route);
      return r ? String(r.actual) : '·';
    });
    lines.push(`| ${client.name} | ${cells.join(' | ')} |`);
  }
  await mkdir(fileURLToPath(new URL('../../test-results/', import.meta.url)), { recursive: true });
  await writeFile(MATRIX_FILE, `${lines.join('\n')}\n\n· = not sent (that client cannot send it, or it would change state in the refused phase). 101 = WebSocket opened.\n`);
}
