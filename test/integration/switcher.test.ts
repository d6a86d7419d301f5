import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, SlotView } from '../../shared/engine-state.js';
import type { LoadPhase } from '../../shared/load-phase.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { EngineError } from '../../shared/engine-error.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

let host: SimHost | undefined;
let engine: Engine | undefined;
const pids = new Set<number>();

afterEach(async () => {
  await engine?.close();
  for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
  pids.clear();
  await host?.cleanup();
  engine = undefined;
  host = undefined;
});

async function start(models: Parameters<typeof createSimHost>[0]): Promise<Engine> {
  host = await createSimHost(models);
  engine = await createEngine({ catalog: host.catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50 });
  engine.subscribe((e) => {
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  return engine;
}

function phasesSeen(e: Engine): LoadPhase[] {
  const phases: LoadPhase[] = [];
  e.subscribe((ev: EngineEvent) => {
    const phase = ev.type === 'state' ? ev.state.slots[0]?.progress?.phase : undefined;
    if (phase && phases.at(-1) !== phase) phases.push(phase);
  });
  return phases;
}

describe('switcher on the SGLang simulator (real child processes)', () => {
  it('cold-starts a model to ready, through its phases, and records the load', async () => {
    const e = await start([{ id: 'alpha', shards: 3, torchCompile: true, extraArgs: ['--cuda-graph-max-bs', '16'] }]);
    const phases = phasesSeen(e);
    const slot = await e.ensureReady('alpha', 'manual');
    expect(slot).toMatchObject({ status: 'ready', modelId: 'alpha', progress: { phase: 'ready' } });
    expect(phases).toEqual(expect.arrayContaining(['launching', 'weights', 'cuda_graphs', 'warmup', 'ready']));
    expect(phases.indexOf('weights')).toBeLessThan(phases.indexOf('cuda_graphs'));
    const state = e.state();
    expect(state.activeModel).toBe('alpha');
    expect(state.models[0]).toMatchObject({ id: 'alpha', status: 'loaded' });
    expect(state.models[0]!.typicalLoadMs).toBeGreaterThan(0);
    expect(e.logs(1000).some((l) => l.text.includes('The server is fired up and ready to roll!'))).toBe(true);
  });

  it('switches A→B, and 20 concurrent ensureReady(B) cause exactly one stop and one start', async () => {
    const e = await start([{ id: 'a' }, { id: 'b' }]);
    await e.ensureReady('a', 'manual');
    const pidA = e.state().slots[0]!.pid!;
    const stops: string[] = [];
    e.subscribe((ev) => {
      if (ev.type === 'state' && ev.state.slots[0]!.status === 'stopping' && stops.at(-1) !== 'stopping') stops.push('stopping');
      if (ev.type === 'state' && ev.state.slots[0]!.status !== 'stopping') stops.push('other');
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => e.ensureReady('b', 'request')));
    expect(results.every((s: SlotView) => s.status === 'ready' && s.modelId === 'b')).toBe(true);
    const launches = await host!.launches();
    expect(launches.map((l) => l.argv[l.argv.indexOf('--served-model-name') + 1])).toEqual(['a', 'b']);
    expect(stops.filter((s) => s === 'stopping')).toHaveLength(1);
    expect(listGroupMembers(pidA)).toEqual([]);
  });

  it('reports an OOM as failed with cause oom, does not restart it, and a later request for A works', async () => {
    const e = await start([
      { id: 'a', aliases: ['first'] },
      { id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } },
    ]);
    await e.ensureReady('a', 'manual');
    const err = await e.ensureReady('oomy', 'request').then(
      () => null,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('load_failed');
    const slot = e.state().slots[0]!;
    expect(slot.status).toBe('failed');
    expect(slot.failure).toMatchObject({ cause: 'oom', exitSignal: 'SIGKILL' });
    expect(slot.failure!.message).toMatch(/CUDA out of memory/);
    expect(slot.failure!.hint).toMatch(/memFractionStatic|contextLength/);
    expect(slot.failure!.lastLines!.some((l) => l.includes('Received sigquit from a child process'))).toBe(true);
    expect(e.state().models.find((m) => m.id === 'oomy')!.status).toBe('failed');

    await e.ensureReady('first', 'request');
    const launches = await host!.launches();
    // a, the failed oomy (once: no restart loop), a again.
    expect(launches.map((l) => l.argv[l.argv.indexOf('--served-model-name') + 1])).toEqual(['a', 'oomy', 'a']);
    expect(e.state().models.find((m) => m.id === 'a')!.status).toBe('loaded');
  });

  it('stop leaves no process of the backend group behind', async () => {
    const e = await start([{ id: 'a', tp: 4 }]);
    await e.ensureReady('a', 'manual');
    const pid = e.state().slots[0]!.pid!;
    await waitFor(() => listGroupMembers(pid).length >= 6, 'main + 4 schedulers + detokenizer');
    await e.stop('manual');
    expect(listGroupMembers(pid)).toEqual([]);
    expect(e.state().slots[0]).toMatchObject({ status: 'stopped', modelId: null });
    expect(e.state().activeModel).toBeNull();
  });

  it('rejects an unknown model with the known ids', async () => {
    const e = await start([{ id: 'a' }, { id: 'b', aliases: ['bee'] }]);
    const err = (await e.ensureReady('nope', 'request').catch((x: unknown) => x)) as EngineError;
    expect(err.code).toBe('unknown_model');
    expect(err.message).toBe('unknown model "nope"; known: a, b');
    expect(err.details).toEqual({ known: ['a', 'b'] });
  });

  it('fails fast with port_busy naming the holder when a stranger holds the backend port', async () => {
    const e = await start([{ id: 'a' }]);
    const { createServer } = await import('node:net');
    const stranger = createServer();
    await new Promise<void>((r) => stranger.listen(e.catalog().backend.port, '127.0.0.1', r));
    try {
      const err = (await e.ensureReady('a', 'request').catch((x: unknown) => x)) as EngineError;
      expect(err.code).toBe('load_failed');
      const failure = e.state().slots[0]!.failure!;
      expect(failure.cause).toBe('port_busy');
      expect(failure.message).toContain(`pid ${process.pid}`);
      expect(await host!.launches()).toEqual([]);
    } finally {
      await new Promise((r) => stranger.close(r));
    }
  });

  it('marks a ready model failed when its server dies, and the next request starts it again', async () => {
    const e = await start([{ id: 'a' }]);
    await e.ensureReady('a', 'manual');
    const pid = e.state().slots[0]!.pid!;
    process.kill(-pid, 'SIGKILL');
    await waitFor(() => e.state().slots[0]!.status === 'failed', 'slot failed');
    expect(e.state().slots[0]!.failure).toMatchObject({ cause: 'exited', exitSignal: 'SIGKILL' });
    await e.ensureReady('a', 'request');
    expect(e.state().slots[0]!.status).toBe('ready');
    expect(await host!.launches()).toHaveLength(2);
  });
});
