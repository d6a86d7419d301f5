// The engine's GPU side against the fake nvidia-smi (6× RTX 3090, NVLink pairs 1–2 and 3–4, limits 100–350 W)
// and the SGLang simulator: telemetry, power limits (in-process, as root), per-model profiles, the NVLink
// placement warning, throughput and the benchmark.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopGracefully } from './support/stop-gracefully.js';
import { request } from 'undici';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import type { EngineEvent, LoadRecord } from '../../shared/engine-state.js';
import type { GpuOverview, GpuSample } from '../../shared/gpu-types.js';
import type { BenchResult, ThroughputSample } from '../../shared/throughput.js';
import { createEngineApi } from '../../electron/engine/api/create-engine-api.js';
import { startEngineServer, type EngineServer } from '../../electron/engine/api/start-engine-server.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../electron/system/nvidia-smi/testing/fake-nvidia-smi.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { CLI_BIN, createSimHost, waitFor, type SimHost, type SimModelSpec } from './support/sim-host.js';
import { nth } from '../support/nth.js';

type ModelExtras = Record<string, Partial<NonNullable<CatalogInput['models']>[number]>>;

let host: SimHost | undefined;
let engine: Engine | undefined;
let server: EngineServer | undefined;
let adminToken = '';
let fakeState: Awaited<ReturnType<typeof useFakeNvidiaSmiState>>;
const children: ChildProcess[] = [];
const pids = new Set<number>();

beforeEach(async () => {
  fakeState = await useFakeNvidiaSmiState();
  // `-pl` as the fake's root, whoever runs the tests.
  process.env.FAKE_NVIDIA_SMI_PRIVILEGED = '1';
});

afterEach(async () => {
  await engine?.close();
  await server?.close();
  // serve stops its SGLang child (its own process group) only on a graceful stop: SIGTERM first.
  for (const child of children.splice(0)) await stopGracefully(child);
  for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
  pids.clear();
  await host?.cleanup();
  await fakeState.cleanup();
  delete process.env.FAKE_NVIDIA_SMI_PRIVILEGED;
  [engine, server, host] = [undefined, undefined, undefined];
});

/** A simulated host whose catalog uses the fake nvidia-smi; `extras` adds catalog fields per model. */
async function gpuHost(models: SimModelSpec[], extras: ModelExtras = {}): Promise<CatalogInput> {
  host = await createSimHost(models);
  const input = structuredClone(host.catalogInput);
  input.gpu = { nvidiaSmiPath: FAKE_NVIDIA_SMI, sampleIntervalMs: 200 };
  input.models = input.models!.map((m) => ({ ...m, ...extras[m.id] }));
  return input;
}

/** The engine in-process, as root (in-process power limits), with its HTTP API. */
async function startEngine(models: SimModelSpec[], extras: ModelExtras = {}): Promise<{ engine: Engine; url: string }> {
  const input = await gpuHost(models, extras);
  engine = await createEngine({ catalog: catalogSchema.parse(input), configPath: 'test', stateDir: host!.dir, probeIntervalMs: 50, systemd: { isRoot: true }, metricsPollMs: 200 });
  engine.subscribe((e) => {
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir: host!.dir, handlers: createEngineApi(engine, 'test').handlers });
  adminToken = server.adminToken;
  return { engine, url: server.url };
}

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(url, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` } });
  return { status: res.statusCode, body: await res.body.json() };
}

/** Waits until the monitor's latest samples satisfy `check`. */
async function samplesWhere(e: Engine, check: (samples: GpuSample[]) => boolean, what: string): Promise<GpuSample[]> {
  return waitFor(async () => {
    const { samples } = await e.gpu();
    return samples.length > 0 && check(samples) ? samples : null;
  }, what);
}

const limits = (samples: GpuSample[]) => samples.map((s) => s.powerLimitW);

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('GPU telemetry and power limits in the engine (fake nvidia-smi)', () => {
  it('GET /api/gpu shows the six GPUs, their topology and NVLink pairs; ticks arrive as one gpu.sample event each', async () => {
    const { engine: e, url } = await startEngine([{ id: 'alpha' }]);
    expect(e.state().gpu).toEqual({ available: true, gpuCount: 6 });
    const ticks: Extract<EngineEvent, { type: 'gpu.sample' }>[] = [];
    e.subscribe((event) => event.type === 'gpu.sample' && ticks.push(event));
    await waitFor(() => ticks.length >= 2, 'two gpu.sample events');
    expect(ticks[0]?.samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // The host is read at start and after every tick; how many ticks pass before a reading lands depends on the machine's load.
    const withHost = await waitFor(() => ticks.find((t) => t.host !== null), 'a gpu.sample event carrying host stats');
    expect(withHost.host?.cpuCount).toBeGreaterThan(0);

    const { status, body } = await call('GET', `${url}/api/gpu`);
    const overview = body as GpuOverview;
    expect(status).toBe(200);
    expect(overview.available).toBe(true);
    expect(overview.samples).toHaveLength(6);
    expect(overview.samples[0]).toMatchObject({ name: 'NVIDIA GeForce RTX 3090', busId: '00000000:41:00.0', powerLimitW: 350, minPowerLimitW: 100, maxPowerLimitW: 350 });
    expect(overview.nvlinkSets).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(overview.topology?.matrix[1]?.[2]).toBe('NV4');
    expect(overview.nvlink?.map((g) => g.links.length)).toEqual([0, 4, 4, 4, 4, 0]);
    expect(overview.presetsW).toEqual([250, 300, 350]);

    const uuid = nth(overview.samples, 4).uuid;
    const history = await call('GET', `${url}/api/gpu/${uuid}/history?since=${nth(nth(ticks, 0).samples, 0).atMs}`);
    expect(history.body.samples.length).toBeGreaterThanOrEqual(2);
    expect(history.body.samples.every((s: GpuSample) => s.uuid === uuid)).toBe(true);
    expect((await call('GET', `${url}/api/gpu/GPU-nope/history`)).status).toBe(404);
  });

  it('sets a limit in-process, reads it back, and reverts it when not confirmed; out of range is 400 with the bounds', async () => {
    const { engine: e, url } = await startEngine([{ id: 'alpha' }]);
    const gpu1 = nth((await e.gpu()).samples, 1);
    const set = await call('POST', `${url}/api/gpu/power-limit`, { gpu: gpu1.uuid, watts: 300, revertAfterS: 2 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ gpu: gpu1.uuid, previousW: 350, enforcedW: 300 });
    expect((await e.gpu()).pendingPowerLimits.map((p) => p.changeId)).toEqual([set.body.changeId]);
    await samplesWhere(e, (s) => s[1]?.powerLimitW === 300 && s[1].enforcedPowerLimitW === 300, 'GPU 1 at 300 W');
    expect(limits((await e.gpu()).samples)).toEqual([350, 300, 350, 350, 350, 350]);
    await samplesWhere(e, (s) => s[1]?.powerLimitW === 350, 'GPU 1 reverted to 350 W');

    const tooHigh = await call('POST', `${url}/api/gpu/power-limit`, { gpu: gpu1.busId, watts: 400 });
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.body.error.details).toMatchObject({ gpu: gpu1.uuid, minW: 100, maxW: 350, requestedW: 400 });

    const kept = await call('POST', `${url}/api/gpu/power-limit`, { gpu: gpu1.busId, watts: 280 });
    expect((await call('POST', `${url}/api/gpu/power-limit/${kept.body.changeId}/confirm`)).body).toEqual({ changeId: kept.body.changeId });
    expect((await e.gpu()).pendingPowerLimits).toEqual([]);
    expect((await call('POST', `${url}/api/gpu/power-limit/${kept.body.changeId}/revert`)).status).toBe(404);
    await samplesWhere(e, (s) => s[1]?.powerLimitW === 280, 'GPU 1 kept at 280 W');
    // Fake nvidia-smi runs one after another, as in the preset test below: 51 s of the 60 s default beside busy loops.
  }, 180_000);

  it('a preset sets every GPU; revert restores each', async () => {
    const { engine: e, url } = await startEngine([{ id: 'alpha' }]);
    const preset = await call('POST', `${url}/api/gpu/preset`, { watts: 250, revertAfterS: 60 });
    expect(preset.status).toBe(200);
    expect(preset.body.changes.map((c: { enforcedW: number }) => c.enforcedW)).toEqual([250, 250, 250, 250, 250, 250]);
    await samplesWhere(e, (s) => s.every((g) => g.powerLimitW === 250), 'all GPUs at 250 W');
    for (const change of preset.body.changes) await call('POST', `${url}/api/gpu/power-limit/${change.changeId}/revert`);
    await samplesWhere(e, (s) => s.every((g) => g.powerLimitW === 350), 'all GPUs back at 350 W');
    expect((await call('POST', `${url}/api/gpu/preset`, { watts: 90 })).body.error.details).toMatchObject({ minW: 100 });
    // Six sets and six reverts, each a few fake nvidia-smi runs one after another (a Node start each): 28-41 s on
    // a loaded 2-core machine, 116 s (failed at the 60 s default) in the integration run beside four busy loops.
    // Nothing here is timed; the limit only catches a hang.
  }, 240_000);

  it('a model with powerLimitW gets its limits (confirmed) before it launches, recorded in the load record', async () => {
    const { engine: e } = await startEngine([{ id: 'tuned', tp: 2, gpus: [1, 2] }], { tuned: { powerLimitW: { '1': 300, '2': 280 } } });
    const loads: LoadRecord[] = [];
    e.subscribe((event) => event.type === 'load' && loads.push(event.record));
    await e.ensureReady('tuned', 'manual');
    const samples = (await e.gpu()).samples;
    expect(loads[0]?.powerLimits).toEqual([
      { index: 1, uuid: nth(samples, 1).uuid, requestedW: 300, enforcedW: 300 },
      { index: 2, uuid: nth(samples, 2).uuid, requestedW: 280, enforcedW: 280 },
    ]);
    expect((await e.gpu()).pendingPowerLimits).toEqual([]);
    await samplesWhere(e, (s) => limits(s).join() === '350,300,280,350,350,350', 'GPUs 1 and 2 at their profile');
    const log = e
      .logs(1000)
      .filter((l) => l.stream === 'engine')
      .map((l) => l.text);
    expect(log).toEqual(['power profile of tuned: GPU 1 set to 300 W (enforced 300 W)', 'power profile of tuned: GPU 2 set to 280 W (enforced 280 W)']);
  });

  it('a profile that cannot be applied is logged and does not block the load', async () => {
    const { engine: e } = await startEngine([{ id: 'greedy', gpus: [0] }], { greedy: { powerLimitW: 500 } });
    const slot = await e.ensureReady('greedy', 'manual');
    expect(slot.status).toBe('ready');
    expect(e.logs(1000).find((l) => l.stream === 'engine')?.text).toMatch(/^power profile of greedy: GPU 0 not set to 500 W: 500 W is outside .* 100–350 W$/);
  });
});

describe('a host without nvidia-smi', () => {
  it('the engine says "no NVIDIA GPU found" and keeps working', async () => {
    const input = await gpuHost([{ id: 'alpha' }], { alpha: { powerLimitW: 300 } });
    input.gpu = { nvidiaSmiPath: join(host!.dir, 'no-such-nvidia-smi') };
    engine = await createEngine({ catalog: catalogSchema.parse(input), configPath: 'test', stateDir: host!.dir, probeIntervalMs: 50, systemd: { isRoot: true } });
    engine.subscribe((e) => {
      if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
    });
    const reason = `no NVIDIA GPU found (nvidia-smi not found at ${input.gpu.nvidiaSmiPath})`;
    expect(engine.state().gpu).toEqual({ available: false, reason });
    expect(await engine.gpu()).toMatchObject({ available: false, reason, samples: [], topology: null, nvlinkSets: [] });
    await expect(engine.applyPowerPreset(300)).rejects.toMatchObject({ code: 'unavailable' });
    expect((await engine.ensureReady('alpha', 'manual')).status).toBe('ready');
    expect(engine.logs(1000).find((l) => l.stream === 'engine')?.text).toBe('power profile of alpha: GPU 0 not set to 300 W: no GPU 0 (0 GPUs seen)');
  });
});

describe('NVLink placement warning (fake topology: pairs 1–2 and 3–4)', () => {
  it('switchboard validate warns for tp=2 on GPUs [0, 1] and names the NVLinked pair; a good pair is quiet', async () => {
    const input = await gpuHost([
      { id: 'split', tp: 2, gpus: [0, 1] },
      { id: 'paired', tp: 2, gpus: [3, 4] },
    ]);
    const path = join(host!.dir, 'switchboard.yaml');
    await writeCatalogFile(path, input);
    const run = await cli(['validate', '--config', path]);
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/switchboard\.yaml:\d+:\d+ warning: models\[0\]\.gpus: TP group \[0, 1\] talks over PHB \(GPU0–GPU1, no NVLink\), but GPUs \[1, 2\] are NVLink-connected \(NV4\)/);
  });
});

describe('throughput and the benchmark (simulator at 50 tok/s)', () => {
  const metered: SimModelSpec = { id: 'metered', gpus: [3], env: { SGLANG_SIM_TOKENS_PER_S: '50' }, extraArgs: ['--enable-metrics', '--decode-log-interval', '10'] };

  it('decode lines and /metrics become throughput samples while the model generates', async () => {
    const { engine: e, url } = await startEngine([metered]);
    const samples: ThroughputSample[] = [];
    e.subscribe((event) => event.type === 'throughput' && samples.push(event.sample));
    const result = await e.runBenchmark('metered', { maxTokens: 80 });
    expect(result.tokPerS).toBeGreaterThan(25);
    await waitFor(() => samples.some((s) => s.source === 'metrics'), 'a /metrics sample');
    const fromLog = samples.filter((s) => s.source === 'log');
    expect(fromLog.length).toBeGreaterThanOrEqual(3);
    // The first line's rate spans the idle time before the request; the later ones are the decode rate.
    expect(Math.max(...fromLog.map((s) => s.genTokPerS))).toBeGreaterThan(25);
    expect(Math.max(...fromLog.map((s) => s.genTokPerS))).toBeLessThan(75);
    const api = await call('GET', `${url}/api/throughput/metered`);
    expect(api.body.samples.length).toBe(samples.length);
    expect(api.body.samples[0]).toMatchObject({ modelId: 'metered', runningReqs: 1 });
  });

  it('switchboard bench against serve records ~50 tok/s with the power limits of that moment', async () => {
    const input = await gpuHost([metered]);
    const config = join(host!.dir, 'switchboard.yaml');
    const stateDir = join(host!.dir, 'state');
    await writeCatalogFile(config, input);
    // The limit "of that moment": GPU 3 at 300 W, set the way the user does by hand.
    await promisify(execFile)(FAKE_NVIDIA_SMI, ['-i', '00000000:81:00.0', '-pl', '300']);
    const serve = spawn(process.execPath, [CLI_BIN, 'serve', '--config', config, '--state-dir', stateDir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(serve);
    let output = '';
    serve.stdout!.on('data', (c) => (output += c));
    serve.stderr!.on('data', (c) => (output += c));
    const url = `http://127.0.0.1:${input.router!.port}`;
    await waitFor(() => output.includes('serving on'), 'serve to listen');
    await waitFor(() => output.includes('GPUs: 6 monitored'), 'serve to report the simulated GPUs');

    const run = await cli(['bench', 'metered', '--tokens', '100', '--url', url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^metered: \d+\.\d\d tok\/s, TTFT \d+ ms, 100 tokens, GPUs 3 @ 300 W, \d+ W → \d\.\d{4} tok\/W$/m);
    expect(run.stdout).toMatch(/^metered\s+300 W\s+1\s+/m);

    const [line = ''] = (await readFile(join(stateDir, 'bench-history.jsonl'), 'utf8')).trim().split('\n');
    const recorded = JSON.parse(line) as BenchResult;
    expect(recorded).toMatchObject({ modelId: 'metered', tokens: 100, gpus: [3], powerLimitsW: [300] });
    expect(recorded.tokPerS).toBeGreaterThan(25);
    expect(recorded.tokPerS).toBeLessThan(75);
    expect(recorded.powerDrawW).toBeGreaterThan(0);
    expect(recorded.tokPerW).toBeCloseTo(recorded.tokPerS / recorded.powerDrawW!, 3);

    const unknown = await cli(['bench', 'nope', '--url', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown model "nope"');
  });
});
