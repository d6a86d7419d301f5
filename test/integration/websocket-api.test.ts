import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { catalogSchema } from '../../shared/catalog-schema.js';
import { ApiCallError, type ApiEvent, type ApiTransport } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { createEngineApi } from '../../electron/engine/api/create-engine-api.js';
import { startEngineServer } from '../../electron/engine/api/start-engine-server.js';
import type { RunningHttpServer } from '../../electron/engine/api/start-http-server.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const ADMIN_KEY = 'integration-admin-key-0123456789';

let host: SimHost | undefined;
let engine: Engine | undefined;
let server: RunningHttpServer | undefined;
let transport: ApiTransport | undefined;
const pids = new Set<number>();

afterEach(async () => {
  transport?.close?.();
  await engine?.close();
  await server?.close();
  for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
  pids.clear();
  await host?.cleanup();
  host = engine = server = transport = undefined;
});

/** The real engine on the SGLang simulator, served as `switchboard serve` does: HTTP routes plus /api/ws. */
async function startServedEngine(): Promise<{ url: string; configPath: string }> {
  host = await createSimHost([
    { id: 'alpha', aliases: ['a'], shards: 3 },
    { id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } },
  ]);
  const input = { ...host.catalogInput, router: { ...host.catalogInput.router, apiKeys: ['integration-inference-key'], adminKeys: [ADMIN_KEY] } };
  const configPath = join(host.dir, 'catalog.yaml');
  await writeFile(configPath, JSON.stringify(input, null, 2));
  const catalog = catalogSchema.parse(input);
  engine = await createEngine({ catalog, configPath, stateDir: host.dir, probeIntervalMs: 50 });
  engine.subscribe((e) => {
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir: host.dir, handlers: createEngineApi(engine, configPath, { checkFiles: false }).handlers });
  return { url: server.url, configPath };
}

function connect(url: string): ApiTransport {
  transport = createWebSocketTransport({
    url: `${url.replace(/^http/, 'ws')}/api/ws`,
    adminKey: () => ADMIN_KEY,
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  return transport;
}

describe('the engine API over /api/ws, on the SGLang simulator', () => {
  it('switches a model with progress events in order, reports a failed load by code, and reads the catalog', async () => {
    const { url, configPath } = await startServedEngine();
    const api = connect(url);
    const events: ApiEvent[] = [];
    api.subscribe((batch) => events.push(...batch));

    const slot = await api.call('models.switchTo', { model: 'a', wait: true });
    expect(slot).toMatchObject({ status: 'ready', modelId: 'alpha' });
    await waitFor(() => events.some((e) => e.type === 'load'), 'the load record');

    expect(events[0]).toMatchObject({ type: 'state', state: { activeModel: null } });
    const phases = events.flatMap((e) => (e.type === 'state' && e.state.slots[0]?.progress ? [e.state.slots[0].progress.phase] : []));
    const distinct = phases.filter((p, i) => p !== phases[i - 1]);
    expect(distinct).toEqual(expect.arrayContaining(['launching', 'weights', 'ready']));
    expect(distinct.indexOf('weights')).toBeLessThan(distinct.lastIndexOf('ready'));
    expect(events.find((e) => e.type === 'load')).toMatchObject({ record: { modelId: 'alpha', outcome: 'ready' } });
    expect(events.some((e) => e.type === 'log' && e.line.text.includes('fired up'))).toBe(true);

    const failed = await api.call('models.switchTo', { model: 'oomy', wait: true }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(ApiCallError);
    expect(failed).toMatchObject({ code: 'load_failed', message: expect.stringContaining('CUDA out of memory') });

    const doc = await api.call('catalog.get', {});
    expect(doc.path).toBe(configPath);
    expect(doc.revision).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.models.map((m) => m.id)).toEqual(['alpha', 'oomy']);
    expect((await api.call('logs.tail', { tail: 5 })).length).toBe(5);
  });
});
