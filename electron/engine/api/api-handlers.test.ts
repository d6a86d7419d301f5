// The API handlers over a real engine: the SGLang simulator as the backend (child processes), the fake
// nvidia-smi for the GPU methods (in-process power limits, as root), and the catalog file on disk.
// Every call goes through dispatchApiCall, as the WebSocket and IPC transports make it.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogInput, ModelEntry } from '../../../shared/catalog-schema.js';
import type { EngineEvent, SlotView } from '../../../shared/engine-state.js';
import type { ApiMethodName, ApiParams, ApiResult } from '../../../shared/switchboard-api.js';
import { createSimHost, waitFor, type SimHost, type SimModelSpec } from '../../../test/integration/support/sim-host.js';
import { loadCatalogFile } from '../catalog/load-catalog.js';
import { loadCatalogOnHost } from '../catalog/load-catalog-on-host.js';
import { writeCatalogFile } from '../catalog/write-catalog.js';
import { createEngine } from '../engine.js';
import type { Engine } from '../engine-api.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../system/nvidia-smi/testing/fake-nvidia-smi.js';
import { listGroupMembers } from '../../system/process-group.js';
import { createEngineApi, type EngineApi, type EngineApiOptions } from './create-engine-api.js';
import { dispatchApiCall, type DispatchOutcome } from './dispatch-api-call.js';

interface Host {
  sim: SimHost;
  engine: Engine;
  api: EngineApi;
  configPath: string;
  events: EngineEvent[];
  close(): Promise<void>;
}

let host: Host | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const HEADER = '# switchboard catalog — hand-written header that edits must keep\n';

interface StartOptions {
  /** Models that get a model folder but no catalog entry (to be added through the API). */
  later?: string[];
  /** GPU telemetry and power limits on the fake nvidia-smi (each of its runs takes a while: only where needed). */
  gpu?: boolean;
  /** The catalog's router section, over the simulator host's. */
  router?: CatalogInput['router'];
  /** Passed to createEngineApi (bindHost, …). */
  api?: EngineApiOptions;
}

/** Starts the engine as `serve` does: the catalog file (with a comment) loaded with the host's topology. */
async function start(models: SimModelSpec[], opts: StartOptions = {}): Promise<Host> {
  const cleanups: (() => Promise<void>)[] = [];
  if (opts.gpu) {
    const fake = await useFakeNvidiaSmiState();
    cleanups.push(async () => {
      await fake.cleanup();
      delete process.env.FAKE_NVIDIA_SMI_PRIVILEGED;
    });
    process.env.FAKE_NVIDIA_SMI_PRIVILEGED = '1';
  }
  const sim = await createSimHost(models);
  cleanups.push(sim.cleanup);
  const input: CatalogInput = structuredClone(sim.catalogInput);
  if (opts.gpu) input.gpu = { nvidiaSmiPath: FAKE_NVIDIA_SMI, sampleIntervalMs: 200 };
  input.models = input.models!.filter((m) => !opts.later?.includes(m.id));
  if (opts.router) input.router = { ...input.router, ...opts.router };
  const configPath = join(sim.dir, 'switchboard.yaml');
  await writeCatalogFile(configPath, input);
  await writeFile(configPath, HEADER + (await readFile(configPath, 'utf8')));
  const { loaded, topology } = opts.gpu ? await loadCatalogOnHost(configPath) : { loaded: await loadCatalogFile(configPath), topology: null };
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const engine = await createEngine({
    catalog: loaded.catalog,
    configPath,
    stateDir: sim.dir,
    probeIntervalMs: 50,
    gpuMonitor: opts.gpu === true,
    systemd: { isRoot: true },
    ...(topology ? { gpuTopology: topology } : {}),
  });
  const events: EngineEvent[] = [];
  const pids = new Set<number>();
  engine.subscribe((e) => {
    events.push(e);
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  const api = createEngineApi(engine, configPath, { ...(opts.gpu ? {} : { topology: () => null }), ...opts.api });
  host = {
    sim,
    engine,
    api,
    configPath,
    events,
    async close() {
      await engine.close();
      for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
  return host;
}

function call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<DispatchOutcome> {
  return dispatchApiCall(host!.api.handlers, method, params);
}

/** The result of a call that must succeed. */
async function ok<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
  const outcome = await call(method, params);
  if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as ApiResult<M>;
}

/** The error of a call that must fail (any method name, any params: what a transport may receive). */
async function refused(method: unknown, params: unknown, on: Host | undefined = host) {
  const outcome = await dispatchApiCall(on!.api.handlers, method, params);
  if (outcome.ok) throw new Error(`${method} succeeded`);
  return outcome.error;
}

const servedName = (argv: string[]) => argv[argv.indexOf('--served-model-name') + 1];

async function entryOf(id: string): Promise<ModelEntry> {
  return (await ok('catalog.get', {})).models.find((m) => m.id === id)!;
}

describe('models.* through dispatchApiCall on the simulator', () => {
  it('switchTo wait=false returns the slot once the switch is queued; the state then reaches ready', async () => {
    await start([{ id: 'alpha', aliases: ['a'] }, { id: 'beta' }]);
    const slot = await ok('models.switchTo', { model: 'a' });
    expect(slot.pending?.modelId ?? slot.modelId).toBe('alpha');
    expect(slot.status).not.toBe('ready');
    const ready = await waitFor(async () => (await ok('state.get', {})).slots.find((s: SlotView) => s.status === 'ready' && s.modelId === 'alpha'), 'alpha ready');
    expect(ready.pid).toBeGreaterThan(0);
    expect((await ok('models.list', {})).find((m) => m.id === 'alpha')?.status).toBe('loaded');

    expect(await ok('models.switchTo', { model: 'beta', wait: true })).toMatchObject({ status: 'ready', modelId: 'beta' });
    expect((await host!.sim.launches()).map((l) => servedName(l.argv))).toEqual(['alpha', 'beta']);
  });

  it.each([false, true])('switchTo an unknown model is refused at once with unknown_model (wait=%s)', async (wait) => {
    await start([{ id: 'alpha' }, { id: 'beta', aliases: ['b'] }]);
    expect(await refused('models.switchTo', { model: 'gamma', wait })).toEqual({
      code: 'unknown_model',
      message: 'unknown model "gamma"; known: alpha, beta',
      details: { known: ['alpha', 'beta'] },
    });
    expect(await host!.sim.launches()).toEqual([]);
  });

  it('loadHistory lists finished loads newest last (with the cause a client claimed), per model (alias too) and limited; stop stops', async () => {
    await start([{ id: 'alpha', aliases: ['a'] }, { id: 'beta' }]);
    await ok('models.switchTo', { model: 'alpha', wait: true });
    await ok('models.switchTo', { model: 'beta', wait: true, cause: 'cli' });
    const all = await ok('models.loadHistory', {});
    expect(all.map((r) => [r.modelId, r.outcome, r.cause])).toEqual([
      ['alpha', 'ready', 'manual'],
      ['beta', 'ready', 'cli'],
    ]);
    expect(all[0]!.endedAtMs).toBeLessThanOrEqual(all[1]!.endedAtMs);
    expect((await ok('models.loadHistory', { model: 'a' })).map((r) => r.modelId)).toEqual(['alpha']);
    expect((await ok('models.loadHistory', { limit: 1 })).map((r) => r.modelId)).toEqual(['beta']);
    expect(await ok('models.stop', {})).toEqual({ stopped: true });
    expect((await ok('state.get', {})).slots[0]).toMatchObject({ status: 'stopped', modelId: null });
  });
});

describe('catalog.* and settings.* change the running engine', () => {
  it('edits a model while another runs; switching to it launches the new args; the file keeps its comment', async () => {
    const { sim, configPath, events } = await start([{ id: 'alpha' }, { id: 'beta' }]);
    await ok('models.switchTo', { model: 'alpha', wait: true });
    const doc = await ok('catalog.get', {});
    const beta = await entryOf('beta');
    const change = { op: 'edit' as const, id: 'beta', model: { ...beta, contextLength: 1024, extraArgs: ['--log-requests'] } };
    const preview = await ok('catalog.preview', { change });
    expect(
      preview.diff
        .filter((l) => l.kind === 'add')
        .map((l) => l.text.trim())
        .sort(),
    ).toEqual(['contextLength: 1024', 'extraArgs: [--log-requests]']);

    const applied = await ok('catalog.apply', { change, expectedRevision: doc.revision });
    expect(applied.restartRequired).toEqual([]);
    expect(events).toContainEqual({ type: 'catalog', revision: applied.document.revision });
    const text = await readFile(configPath, 'utf8');
    expect(text).toBe(preview.text);
    expect(text.startsWith(HEADER)).toBe(true);
    expect(host!.engine.state().activeModel).toBe('alpha');

    await ok('models.switchTo', { model: 'beta', wait: true });
    const argv = (await sim.launches()).at(-1)!.argv;
    expect(servedName(argv)).toBe('beta');
    expect(argv.slice(argv.indexOf('--context-length'), argv.indexOf('--context-length') + 2)).toEqual(['--context-length', '1024']);
    expect(argv.at(-1)).toBe('--log-requests');
  });

  it('adds a model the engine then serves; a stale revision is refused with conflict', async () => {
    const { sim } = await start([{ id: 'alpha' }, { id: 'gamma' }], { later: ['gamma'] });
    const { revision } = await ok('catalog.get', {});
    const added = await ok('catalog.apply', { change: { op: 'add', model: { id: 'gamma', aliases: ['g'], modelPath: join(sim.dir, 'models', 'gamma') } }, expectedRevision: revision });
    expect(added.document.models.map((m) => m.id)).toEqual(['alpha', 'gamma']);
    expect((await ok('models.list', {})).map((m) => m.id)).toEqual(['alpha', 'gamma']);
    expect(await ok('models.switchTo', { model: 'g', wait: true })).toMatchObject({ status: 'ready', modelId: 'gamma' });

    const stale = await refused('catalog.apply', { change: { op: 'remove', id: 'alpha' }, expectedRevision: revision });
    expect(stale).toMatchObject({ code: 'conflict', message: expect.stringMatching(/changed on disk/) });

    await ok('catalog.apply', { change: { op: 'add', model: { id: 'remote', upstream: 'http://127.0.0.1:9' } } });
    expect(await refused('models.switchTo', { model: 'remote' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/served elsewhere/) });
  });

  it('a loaded model cannot be removed or relaunched differently; its label can change', async () => {
    const { configPath } = await start([{ id: 'alpha' }, { id: 'beta' }]);
    await ok('models.switchTo', { model: 'alpha', wait: true });
    const before = await readFile(configPath, 'utf8');
    expect(await refused('catalog.apply', { change: { op: 'remove', id: 'alpha' } })).toMatchObject({ code: 'conflict', message: 'alpha is loaded: stop it or switch away first' });
    const alpha = await entryOf('alpha');
    expect(await refused('catalog.apply', { change: { op: 'edit', id: 'alpha', model: { ...alpha, contextLength: 2048 } } })).toMatchObject({
      code: 'conflict',
      details: { fields: ['contextLength'] },
    });
    expect(await readFile(configPath, 'utf8')).toBe(before);

    await ok('catalog.apply', { change: { op: 'edit', id: 'alpha', model: { ...alpha, label: 'Alpha (sim)' } } });
    expect((await ok('models.list', {})).find((m) => m.id === 'alpha')).toMatchObject({ label: 'Alpha (sim)', status: 'loaded' });
    await ok('models.stop', {});
    await ok('catalog.apply', { change: { op: 'remove', id: 'alpha' } });
    expect((await ok('models.list', {})).map((m) => m.id)).toEqual(['beta']);
  });

  it('previews with the host topology (NVLink warning on the field) and file checks (a missing path)', async () => {
    await start([{ id: 'alpha' }], { gpu: true });
    const alpha = await entryOf('alpha');
    const offLink = await ok('catalog.preview', { change: { op: 'edit', id: 'alpha', model: { ...alpha, tp: 2, gpus: [0, 5] } } });
    expect(offLink.ok).toBe(true);
    expect(offLink.fieldIssues.gpus).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/NVLink-connected/) })]);
    const missing = await ok('catalog.preview', { change: { op: 'add', model: { id: 'ghost', modelPath: '/nonexistent/ghost' } } });
    expect(missing.ok).toBe(false);
    expect(missing.fieldIssues.modelPath).toEqual([expect.objectContaining({ message: 'model path /nonexistent/ghost does not exist' })]);
    expect(await refused('catalog.apply', { change: { op: 'add', model: { id: 'ghost', modelPath: '/nonexistent/ghost' } } })).toMatchObject({ code: 'bad_request' });
  });

  it('settings: the port needs a restart (and keeps needing it); drain timeout and presets apply live', async () => {
    const { engine } = await start([{ id: 'alpha' }]);
    const settings = await ok('settings.get', {});
    expect(settings).toMatchObject({ router: { host: '127.0.0.1', loadingMessages: 'content', apiKeyCount: 0 }, backend: { kind: 'process', drainTimeoutS: 300 } });
    const port = settings.router.port + 1;
    expect((await ok('settings.update', { patch: { router: { port } } })).restartRequired).toEqual(['router.port']);
    const result = await ok('settings.update', { patch: { backend: { drainTimeoutS: 5 }, gpu: { presetsW: [200, 300] } } });
    expect(result.restartRequired).toEqual(['router.port']);
    expect(engine.catalog().backend.drainTimeoutS).toBe(5);
    expect((await ok('gpu.overview', {})).presetsW).toEqual([200, 300]);
    expect((await ok('gpu.overview', {})).available).toBe(false);
    expect(await ok('settings.get', {})).toMatchObject({ router: { port }, backend: { drainTimeoutS: 5 } });
    expect(await refused('settings.update', { patch: { router: { port: 1 } }, expectedRevision: '0'.repeat(64) })).toMatchObject({ code: 'conflict' });
  });

  it.each([
    ['0.0.0.0', false],
    ['127.0.0.1', true],
  ])('on %s, an edit that removes the last admin key applies: %s (beyond loopback it would lock other machines out)', async (bindHost, applies) => {
    const key = 'a'.repeat(64);
    const { engine, configPath, api } = await start([{ id: 'alpha' }], { router: { adminKeys: [key] }, api: { bindHost } });
    const withKey = await readFile(configPath, 'utf8');
    expect(withKey).toContain(key);
    const withoutKey = withKey.replace(/^(\s*)adminKeys:[^\n]*(\n\s+- [^\n]*)*/m, '$1adminKeys: []');
    expect(withoutKey).not.toContain(key);
    await writeFile(configPath, withoutKey);

    const event = await api.catalogWatcher.reloadNow();
    if (applies) {
      expect(event.kind).toBe('applied');
      expect(engine.catalog().router.adminKeys).toEqual([]);
      return;
    }
    expect(event).toMatchObject({ kind: 'rejected', issues: [{ severity: 'error', field: 'router.adminKeys', message: expect.stringContaining('this engine listens on 0.0.0.0, beyond loopback') }] });
    expect(engine.catalog().router.adminKeys).toEqual([key]);
    // A save from the UI starts from the file: it is refused for the same reason, and names it.
    const refusal = await refused('settings.update', { patch: { router: { loadingMessages: 'reasoning' } } });
    expect(JSON.stringify(refusal)).toContain('router.adminKeys');
    expect(engine.catalog().router.loadingMessages).toBe('content');
    // Putting a key back applies.
    await writeFile(configPath, withKey.replace(/^(\s*)adminKeys:/m, '$1loadingMessages: reasoning\n$1adminKeys:'));
    expect((await api.catalogWatcher.reloadNow()).kind).toBe('applied');
    expect(engine.catalog().router).toMatchObject({ adminKeys: [key], loadingMessages: 'reasoning' });
  });

  it('imports start scripts: preview, then apply', async () => {
    const { configPath } = await start([{ id: 'alpha' }]);
    const script = { name: 'start_sglang_tiny.sh', text: 'export CUDA_VISIBLE_DEVICES=0\npython -m sglang.launch_server --model-path Org/tiny --served-model-name tiny\n' };
    const preview = await ok('catalog.importScripts', { scripts: [script], apply: false });
    expect(preview).toMatchObject({ added: ['tiny'], skipped: [], preview: { ok: true } });
    expect(preview.applied).toBeUndefined();
    const applied = await ok('catalog.importScripts', { scripts: [script], apply: true, expectedRevision: preview.preview.revision });
    expect(applied.applied?.document.models.map((m) => m.id)).toEqual(['alpha', 'tiny']);
    expect(await readFile(configPath, 'utf8')).toBe(applied.preview.text);
    expect((await ok('models.list', {})).map((m) => m.id)).toEqual(['alpha', 'tiny']);
  });
});

describe('logs, GPUs, throughput and the benchmark through dispatchApiCall', () => {
  it('gpu.* on the fake nvidia-smi (six RTX 3090, limits set in-process)', async () => {
    await start([{ id: 'alpha' }], { gpu: true });
    expect(await ok('gpu.overview', { refreshTopology: false })).toMatchObject({ available: true, presetsW: [250, 300, 350], nvlinkSets: [expect.anything(), expect.anything()] });
    const samples = await waitFor(async () => {
      const overview = await ok('gpu.overview', {});
      return overview.samples.length === 6 ? overview.samples : null;
    }, 'six GPU samples');
    const [, gpu1, gpu2] = samples;
    expect((await ok('gpu.history', { gpu: gpu1!.uuid })).length).toBeGreaterThan(0);
    const kept = await ok('gpu.setPowerLimit', { gpu: gpu1!.uuid, watts: 300, revertAfterS: 60 });
    expect(kept).toMatchObject({ gpu: gpu1!.uuid, previousW: 350, enforcedW: 300 });
    expect(await ok('gpu.confirmPowerLimit', { changeId: kept.changeId })).toEqual({ changeId: kept.changeId });
    const tried = await ok('gpu.setPowerLimit', { gpu: gpu2!.uuid, watts: 280 });
    expect(await ok('gpu.revertPowerLimit', { changeId: tried.changeId })).toEqual({ changeId: tried.changeId, restoredW: 350 });
    expect(await refused('gpu.revertPowerLimit', { changeId: kept.changeId })).toMatchObject({ code: 'not_found' });
    // Checked against every GPU's bounds before anything is set: refused without a write.
    expect(await refused('gpu.applyPreset', { watts: 90 })).toMatchObject({ code: 'bad_request', details: { minW: 100 } });
  });

  it('logs.tail, bench.run, bench.history and throughput.samples on a loaded model', async () => {
    // A finite token rate: at full speed all 16 tokens can arrive in one read, which leaves no time
    // between the first and the last to measure (seen on a loaded CI machine).
    await start([{ id: 'alpha', env: { SGLANG_SIM_TOKENS_PER_S: '400' } }]);
    await ok('models.switchTo', { model: 'alpha', wait: true });
    const lines = await ok('logs.tail', { tail: 5 });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect((await ok('logs.tail', {})).some((l) => l.text.includes('The server is fired up and ready to roll!'))).toBe(true);

    expect(await ok('bench.run', { model: 'alpha', maxTokens: 16 })).toMatchObject({ modelId: 'alpha' });
    // One token leaves no rate: its own code (not `internal`), and no run in the history. (The API
    // asks for 8 tokens at least; the engine itself takes 1, which the simulator honours.)
    await expect(host!.engine.runBenchmark('alpha', { maxTokens: 1 })).rejects.toMatchObject({ code: 'too_few_tokens', details: { tokens: 1 } });
    expect((await ok('bench.history', {})).runs).toHaveLength(1);
    expect(Array.isArray(await ok('throughput.samples', { model: 'alpha' }))).toBe(true);
    expect(host!.engine.state().activeModel).toBe('alpha');
  });
});

describe('refusals through dispatchApiCall', () => {
  let shared: Host;
  beforeAll(async () => {
    shared = await start([{ id: 'alpha' }]);
    host = undefined;
  });
  afterAll(() => shared.close());

  it.each<[string, unknown, unknown, string]>([
    ['a missing model', 'models.switchTo', {}, 'bad_request'],
    ['a cause only the engine gives', 'models.switchTo', { model: 'alpha', cause: 'request' }, 'bad_request'],
    ['a stop with an unknown cause', 'models.stop', { cause: 'crash' }, 'bad_request'],
    ['a wrong type', 'logs.tail', { tail: -1 }, 'bad_request'],
    ['an unknown field', 'state.get', { verbose: true }, 'bad_request'],
    ['an unknown change op', 'catalog.apply', { change: { op: 'rename', id: 'alpha' } }, 'bad_request'],
    ['a malformed revision', 'settings.update', { patch: {}, expectedRevision: 'abc' }, 'bad_request'],
    ['an unknown method', 'models.explode', {}, 'not_found'],
    ['a method name that is not a string', 42, {}, 'not_found'],
    ['a GPU when monitoring is off', 'gpu.history', { gpu: 'GPU-nope' }, 'not_found'],
    ['a throughput of an unknown model', 'throughput.samples', { model: 'nope' }, 'unknown_model'],
    ['an edit of an unknown model', 'catalog.preview', { change: { op: 'edit', id: 'nope', model: { id: 'nope' } } }, 'unknown_model'],
  ])('%s: %s → %s', async (_name, method, params, code) => {
    expect((await refused(method, params, shared)).code).toBe(code);
  });
});
