import { afterEach, describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import type { SlotView } from '../../shared/engine-state.js';
import { describeStall } from '../../shared/stall-timeouts.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { EngineError } from '../../shared/engine-error.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost, type SimModelSpec } from './support/sim-host.js';

let host: SimHost | undefined;
let engine: Engine | undefined;

afterEach(async () => {
  await engine?.close();
  engine = undefined;
  for (const launch of (await host?.launches()) ?? []) if (listGroupMembers(launch.pid).length > 0) process.kill(-launch.pid, 'SIGKILL');
  await host?.cleanup();
  host = undefined;
});

async function start(models: SimModelSpec[], patch: (input: CatalogInput) => void, timeScale = 0.01): Promise<Engine> {
  host = await createSimHost(models, { timeScale });
  const input = structuredClone(host.catalogInput);
  patch(input);
  engine = await createEngine({ catalog: catalogSchema.parse(input), configPath: 'test', stateDir: null, gpuMonitor: false, probeIntervalMs: 50 });
  return engine;
}

async function loadFailure(e: Engine, model: string) {
  const err = await e.ensureReady(model, 'manual').then(
    () => null,
    (error: unknown) => error,
  );
  expect(err).toBeInstanceOf(EngineError);
  return (err as EngineError).details!.failure as { cause: string; message: string; phase: string; lastLines: string[] };
}

describe.runIf(process.platform === 'linux')('a load that shows no progress is stopped as stuck, tried once more, then failed', () => {
  it.each([
    ['a rendezvous that never completes', 'hang-rendezvous', 'initializing', { initializing: 1.5 }, false, /Init torch distributed begin/],
    ['a torch.compile that never ends', 'hang-compile', 'torch_compile', { torch_compile: 1.5 }, true, /Capturing batches/],
    ['/health that stays 503 after the port opened', 'never-ready', 'warmup', { warmup: 1.5 }, false, /Uvicorn running|GET \/get_model_info/],
  ] as const)('%s', async (_name, mode, phase, stallTimeoutS, torchCompile, lastLine) => {
    const e = await start([{ id: 'hung', torchCompile, env: { SGLANG_SIM_FAIL: mode }, ...(torchCompile ? { extraArgs: ['--torch-compile-max-bs', '1'] } : {}) }], (input) => {
      input.models![0]!.stallTimeoutS = stallTimeoutS;
    });
    // While it hangs, the slot says how long nothing has happened before it is stopped.
    const warned = waitFor(() => {
      const slot = e.state().slots[0]!;
      return slot.progress?.phase === phase && describeStall(slot.stall, Date.now()) ? slot : null;
    }, 'the no-progress warning');
    const failure = await loadFailure(e, 'hung');
    const slot: SlotView = await warned;
    expect(slot.stall).toMatchObject({ limitMs: 1500, warnAfterMs: 750 });
    expect(failure).toMatchObject({ cause: 'stuck', phase });
    expect(failure.message).toMatch(/^the load made no progress for \d+ s /);
    expect(failure.lastLines.join('\n')).toMatch(lastLine);
    // Tried twice, and neither server is left.
    const launches = await host!.launches();
    expect(launches).toHaveLength(2);
    for (const launch of launches) expect(listGroupMembers(launch.pid)).toEqual([]);
    expect(
      e
        .logs(5000)
        .map((l) => l.text)
        .join('\n'),
    ).toMatch(/no progress .*trying once more/);
  });

  it('a slow load that keeps printing progress is not stuck, even when a phase lasts far longer than the limit', async () => {
    // 12 shards of ~0.35 s each: the weights phase takes ~4 s against a 1.5 s no-progress limit.
    const e = await start(
      [{ id: 'slow', shards: 12 }],
      (input) => {
        input.backend!.stallTimeoutS = { weights: 1.5 };
      },
      0.1,
    );
    const slot = await e.ensureReady('slow', 'manual');
    expect(slot.status).toBe('ready');
    expect(await host!.launches()).toHaveLength(1);
  });
});
