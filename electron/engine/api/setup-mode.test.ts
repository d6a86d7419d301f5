// Setup mode (first run): the engine started on a catalog file that does not exist yet. The catalog
// is loaded as the host does it (loadCatalogOnHost with allowMissing), the engine and its HTTP server
// run in-process, and every API call goes through dispatchApiCall as the transports make it.

import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../../shared/engine-state.js';
import type { GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import type { ApiMethodName, ApiParams, ApiResult } from '../../../shared/switchboard-api.js';
import { loadCatalogFile } from '../catalog/load-catalog.js';
import { loadCatalogOnHost } from '../catalog/load-catalog-on-host.js';
import { createEngine } from '../engine.js';
import type { Engine } from '../engine-api.js';
import { writeCatalogFile } from '../catalog/write-catalog.js';
import { createEngineApi, type EngineApi, type EngineApiOptions, type SimulatedHostWriter } from './create-engine-api.js';
import { dispatchApiCall } from './dispatch-api-call.js';
import { startEngineServer, type EngineServer } from './start-engine-server.js';

const NO_GPU = async (): Promise<GpuTopologySnapshot> => ({ atMs: 1, topology: null, nvlink: null, nvlinkSets: [], errors: [] });

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-setup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A model folder the catalog checks accept (config.json with heads for the TP check). */
async function modelDir(dir: string, name: string): Promise<string> {
  const path = join(dir, 'models', name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'config.json'), JSON.stringify({ num_attention_heads: 8, num_key_value_heads: 8, max_position_embeddings: 4096 }));
  return path;
}

interface SetupHost {
  dir: string;
  configPath: string;
  engine: Engine;
  api: EngineApi;
  events: EngineEvent[];
  call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  refused(method: ApiMethodName, params: unknown): Promise<{ code: string; message: string }>;
}

/** The engine as a host starts it on a missing catalog file (nested folders that do not exist either). */
async function startInSetup(api: EngineApiOptions = {}): Promise<SetupHost> {
  const dir = await tempDir();
  const configPath = join(dir, 'config', 'sglang-switchboard', 'switchboard.yaml');
  const host = await loadCatalogOnHost(configPath, { allowMissing: true, readTopology: NO_GPU });
  if (!host.loaded.ok) throw new Error('the empty catalog did not load');
  const engine = await createEngine({ catalog: host.loaded.catalog, configPath, stateDir: join(dir, 'state'), gpuMonitor: false, firstRun: host.missing === true });
  cleanups.push(() => engine.close());
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  const engineApi = createEngineApi(engine, configPath, { topology: () => null, stateDir: join(dir, 'state'), ...api });
  return {
    dir,
    configPath,
    engine,
    api: engineApi,
    events,
    async call(method, params) {
      const outcome = await dispatchApiCall(engineApi.handlers, method, params);
      if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.code}: ${outcome.error.message}`);
      return outcome.result as never;
    },
    async refused(method, params) {
      const outcome = await dispatchApiCall(engineApi.handlers, method, params);
      if (outcome.ok) throw new Error(`${method} succeeded`);
      return outcome.error;
    },
  };
}

describe('loadCatalogOnHost with allowMissing', () => {
  it('gives the empty catalog (schema defaults, no models) and missing: true for a file that does not exist', async () => {
    const path = join(await tempDir(), 'nope', 'switchboard.yaml');
    const host = await loadCatalogOnHost(path, { allowMissing: true, readTopology: NO_GPU });
    expect(host.missing).toBe(true);
    expect(host.loaded).toMatchObject({ ok: true, issues: [] });
    if (!host.loaded.ok) return;
    expect(host.loaded.catalog.models).toEqual([]);
    expect(host.loaded.catalog.router).toMatchObject({ host: '127.0.0.1', port: 8002, apiKeys: [], adminKeys: [] });
    expect(host.loaded.catalog.backend).toMatchObject({ kind: 'process', port: 8001 });
  });

  it('without allowMissing a missing file is still an error; an existing file loads as before', async () => {
    const dir = await tempDir();
    const missing = await loadCatalogOnHost(join(dir, 'switchboard.yaml'), { readTopology: NO_GPU });
    expect(missing.missing).toBeUndefined();
    expect(missing.loaded.ok).toBe(false);
    expect(missing.loaded.issues[0]!.message).toMatch(/does not exist/);

    const path = join(dir, 'present.yaml');
    await writeFile(path, 'models:\n  - id: remote\n    upstream: http://10.0.0.7:30000\n');
    const present = await loadCatalogOnHost(path, { allowMissing: true, readTopology: NO_GPU });
    expect(present.missing).toBeUndefined();
    expect(present.loaded.ok && present.loaded.catalog.models.map((m) => m.id)).toEqual(['remote']);
  });

  it('a file that exists but is not valid is an error even with allowMissing', async () => {
    const path = join(await tempDir(), 'broken.yaml');
    await writeFile(path, 'models: [ {');
    const host = await loadCatalogOnHost(path, { allowMissing: true, readTopology: NO_GPU });
    expect(host.missing).toBeUndefined();
    expect(host.loaded.ok).toBe(false);
  });
});

describe('the engine in setup mode', () => {
  it('says so in its state, reads an empty catalog with the path, and copes with zero models', async () => {
    const host = await startInSetup();
    const state = await host.call('state.get', {});
    expect(state.setup).toEqual({ catalogPath: host.configPath });
    expect(state.models).toEqual([]);
    expect(state.configPath).toBe(host.configPath);
    expect(await host.call('models.list', {})).toEqual([]);
    const document = await host.call('catalog.get', {});
    expect(document).toMatchObject({ path: host.configPath, text: '', models: [], issues: [] });
    expect(document.revision).toMatch(/^[0-9a-f]{64}$/);
    expect(await host.call('settings.get', {})).toMatchObject({ configPath: host.configPath, router: { port: 8002 } });
    expect((await host.refused('models.switchTo', { model: 'nothing' })).code).toBe('unknown_model');
    // Nothing was written by reading.
    await expect(stat(host.configPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('the first catalog.apply creates the file (and its folders, mode 0600) and ends setup mode without a restart', async () => {
    const host = await startInSetup();
    const modelPath = await modelDir(host.dir, 'tiny');
    const before = await host.call('catalog.get', {});
    const preview = await host.call('catalog.preview', { change: { op: 'add', model: { id: 'tiny', modelPath } } });
    expect(preview.ok).toBe(true);
    const result = await host.call('catalog.apply', { change: { op: 'add', model: { id: 'tiny', modelPath } }, expectedRevision: before.revision });
    expect(result.restartRequired).toEqual([]);
    expect(result.document.path).toBe(host.configPath);
    expect(result.document.models.map((m) => m.id)).toEqual(['tiny']);

    const written = await loadCatalogFile(host.configPath);
    expect(written.ok && written.catalog.models.map((m) => m.id)).toEqual(['tiny']);
    expect((await stat(host.configPath)).mode & 0o777).toBe(0o600);

    const state = await host.call('state.get', {});
    expect(state.setup).toBeUndefined();
    expect(state.models.map((m) => m.id)).toEqual(['tiny']);
    expect(host.engine.resolveModel('tiny')?.modelPath).toBe(modelPath);
    // Subscribers heard it: the catalog event, then a state without `setup`.
    const last = host.events.filter((e) => e.type === 'state').at(-1);
    expect(last?.type === 'state' && last.state.setup).toBeUndefined();
    expect(host.events.some((e) => e.type === 'catalog')).toBe(true);
  });

  it('importing start scripts writes the first catalog and ends setup mode', async () => {
    const host = await startInSetup();
    const modelPath = await modelDir(host.dir, 'Llama-8B');
    const scripts = join(host.dir, 'scripts');
    await mkdir(scripts);
    await writeFile(join(scripts, 'start_sglang_llama.sh'), `#!/bin/sh\npython3 -m sglang.launch_server --model-path ${modelPath} --served-model-name llama8b --port 30000\n`);

    const dry = await host.call('catalog.importScripts', { paths: [scripts], apply: false });
    expect(dry.added).toEqual(['llama8b']);
    expect(dry.preview.ok).toBe(true);
    await expect(stat(host.configPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await host.call('state.get', {})).setup).toBeDefined();

    const applied = await host.call('catalog.importScripts', { paths: [scripts], apply: true, expectedRevision: dry.preview.revision });
    expect(applied.applied?.restartRequired).toEqual([]);
    expect(await readFile(host.configPath, 'utf8')).toContain('llama8b');
    const state = await host.call('state.get', {});
    expect(state.setup).toBeUndefined();
    expect(state.models.map((m) => m.id)).toEqual(['llama8b']);
  });

  it('routes to a model added in setup mode at once (the router reads the live catalog)', async () => {
    const host = await startInSetup();
    const upstream = await startUpstream();
    const server: EngineServer = await startEngineServer(host.engine, { host: '127.0.0.1', port: 0, stateDir: null, handlers: host.api.handlers });
    cleanups.push(() => server.close());

    const empty = await fetch(`${server.url}/v1/models`);
    expect(empty.status).toBe(200);
    expect(((await empty.json()) as { data: unknown[] }).data).toEqual([]);
    const unknown = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();

    await host.call('catalog.apply', { change: { op: 'add', model: { id: 'remote', upstream: upstream.url } } });
    const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(['remote']);
    const answered = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('from upstream');
  });

  it('asks the host for a restart when the first catalog changes a setting read at start (router.port)', async () => {
    const requestRestart = vi.fn();
    const host = await startInSetup({ requestRestart });
    const result = await host.call('settings.update', { patch: { router: { port: 8123 } } });
    expect(result.restartRequired).toEqual(['router.port']);
    expect(requestRestart).not.toHaveBeenCalled(); // not before the reply is out
    await vi.waitFor(() => expect(requestRestart).toHaveBeenCalledWith({ configPath: host.configPath }));
    expect((await host.call('state.get', {})).setup).toBeUndefined();
  });
});

/**
 * What the CLI's writeDemoHost does, in small (the engine layer does not import the CLI; the e2e
 * test runs the real one): a catalog on the given ports in `dir`, with one model.
 */
function fakeDemoWriter() {
  const calls: Parameters<SimulatedHostWriter>[0][] = [];
  const write: SimulatedHostWriter = async (options) => {
    calls.push(options);
    const path = join(options.dir, 'switchboard.yaml');
    await writeCatalogFile(path, {
      router: { port: options.routerPort },
      backend: { port: options.backendPort },
      models: [{ id: 'simulated', upstream: 'http://127.0.0.1:9' }],
    });
    return path;
  };
  return { write, calls };
}

describe('setup.startSimulatedHost', () => {
  it('without a host that can restart the engine: unavailable, pointing at `switchboard demo`, and nothing written', async () => {
    const writer = fakeDemoWriter();
    for (const options of [{}, { writeSimulatedHost: writer.write }, { requestRestart: vi.fn() }]) {
      const host = await startInSetup(options);
      const error = await host.refused('setup.startSimulatedHost', {});
      expect(error.code).toBe('unavailable');
      expect(error.message).toMatch(/switchboard demo/);
      await expect(stat(join(host.dir, 'state', 'simulated-host'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await host.call('state.get', {})).setup).toBeDefined();
    }
    expect(writer.calls).toEqual([]);
  });

  it('writes the demo host into <stateDir>/simulated-host and asks the host to restart on it, after replying', async () => {
    const requestRestart = vi.fn();
    const writer = fakeDemoWriter();
    const host = await startInSetup({ requestRestart, writeSimulatedHost: writer.write });
    const result = await host.call('setup.startSimulatedHost', {});
    const dir = join(host.dir, 'state', 'simulated-host');
    expect(result).toEqual({ configPath: join(dir, 'switchboard.yaml'), restarting: true });
    expect(writer.calls).toEqual([{ dir, routerPort: 8002, backendPort: expect.any(Number), timeScale: 0.15 }]);
    expect(requestRestart).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(requestRestart).toHaveBeenCalledTimes(1));
    expect(requestRestart).toHaveBeenCalledWith({
      configPath: result.configPath,
      env: { FAKE_NVIDIA_SMI_STATE: join(dir, 'fake-nvidia-smi-state.json'), FAKE_NVIDIA_SMI_PRIVILEGED: '1' },
    });
    const demo = await loadCatalogFile(result.configPath);
    if (!demo.ok) throw new Error(JSON.stringify(demo.issues));
    expect(demo.catalog.models.length).toBeGreaterThan(0);
    // The new engine serves the router where this one does, so a browser reconnects to it.
    expect(demo.catalog.router.port).toBe(host.engine.catalog().router.port);
    expect(demo.catalog.backend.port).not.toBe(demo.catalog.router.port);
    // This engine keeps running as it was until the host restarts it.
    expect((await host.call('state.get', {})).setup).toBeDefined();
  });

  it('is refused once the engine has a catalog', async () => {
    const requestRestart = vi.fn();
    const host = await startInSetup({ requestRestart, writeSimulatedHost: fakeDemoWriter().write });
    await host.call('catalog.apply', { change: { op: 'add', model: { id: 'remote', upstream: 'http://127.0.0.1:9' } } });
    const error = await host.refused('setup.startSimulatedHost', {});
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/switchboard demo/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(requestRestart).not.toHaveBeenCalled();
  });

  it('takes no params', async () => {
    const host = await startInSetup({ requestRestart: vi.fn(), writeSimulatedHost: fakeDemoWriter().write });
    expect((await host.refused('setup.startSimulatedHost', { dir: '/etc' })).code).toBe('bad_request');
  });
});

/** An OpenAI-compatible server that answers every chat completion with "from upstream". */
async function startUpstream(): Promise<{ url: string }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'remote', choices: [{ index: 0, message: { role: 'assistant', content: 'from upstream' }, finish_reason: 'stop' }] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}
