import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { modelEntrySchema, type ModelEntry, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import { EngineError } from '../../../shared/engine-error.js';
import type { GpuSample } from '../../../shared/gpu-types.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import { readSglangRecords, SGLANG_LOG_FIXTURES } from '../../../test/fixtures/read-sglang-log.js';
import { loadCatalogFile } from '../catalog/load-catalog.js';
import { writeDemoHost } from '../catalog/write-demo-host.js';
import { FitChecker } from './fit-checker.js';
import { LearnedFitStore } from './learned-fit-store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fit-'));
  dirs.push(dir);
  return dir;
}

/** A 3090 as the GPU monitor reports it: 24576 MiB total, `usedMiB` used. */
function gpu(index: number, usedMiB: number, totalMiB = 24576): GpuSample {
  return { index, uuid: `GPU-${index}`, busId: null, name: 'NVIDIA GeForce RTX 3090', memUsedMiB: usedMiB, memTotalMiB: totalMiB } as GpuSample;
}

const QWEN_32B = readFile(new URL('../../../test/fixtures/model-configs/qwen2.5-32b/config.json', import.meta.url), 'utf8');

async function modelFolder(config: string | Promise<string>, indexTotal?: number): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'config.json'), await config);
  if (indexTotal !== undefined) await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: indexTotal }, weight_map: {} }));
  return dir;
}

function entry(input: Omit<ModelEntryInput, 'id'> & { id?: string }): ModelEntry {
  return modelEntrySchema.parse({ id: 'qwq', ...input });
}

function checker(samples: GpuSample[], opts: { released?: Set<number> | 'all'; stateDir?: string | null } = {}): FitChecker {
  return new FitChecker({ gpuSamples: () => samples, releasedGpus: () => opts.released ?? new Set(), learned: new LearnedFitStore(opts.stateDir ?? null) });
}

describe('FitChecker', () => {
  it('refuses a 32B bf16 model on one 3090 with will_not_fit naming the GPU and the shortfall in GiB', async () => {
    const model = entry({ modelPath: await modelFolder(QWEN_32B, 65_527_752_704), tp: 1, contextLength: 32768, gpus: [1] });
    const err = await checker([gpu(0, 2), gpu(1, 2)])
      .check(model)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    const e = err as EngineError;
    expect(e.code).toBe('will_not_fit');
    expect(e.message).toContain('GPU 1 (NVIDIA GeForce RTX 3090)');
    expect(e.message).toMatch(/\d+\.\d\d GiB short/);
    // 65.53e9 B = 61.03 GiB of weights + 0.15 overhead, against 24 GiB - 0.6 context reserve.
    expect(e.details?.shortfallGib).toBeCloseTo(61.03 + 0.15 - (24 - 0.6), 1);
  });

  it('lets it load at tp 4 over four 3090s (fits or tight), and never refuses without GPU data', async () => {
    const folder = await modelFolder(QWEN_32B, 65_527_752_704);
    const tp4 = await checker([0, 1, 2, 3].map((i) => gpu(i, 2))).check(entry({ modelPath: folder, tp: 4, contextLength: 32768, memFractionStatic: 0.85 }));
    expect(tp4?.verdict).toBe('fits');
    const noGpu = await checker([]).check(entry({ modelPath: folder, tp: 1 }));
    expect(noGpu?.verdict).toBe('unknown');
  });

  it('counts the memory of the engine’s own servers on the GPUs as free (the switch stops them first)', async () => {
    const model = entry({ modelPath: await modelFolder(QWEN_32B, 65_527_752_704), tp: 4, contextLength: 32768, memFractionStatic: 0.85 });
    const busy = [0, 1, 2, 3].map((i) => gpu(i, 22_000));
    await expect(checker(busy).check(model)).rejects.toMatchObject({ code: 'will_not_fit' });
    await expect(checker(busy, { released: new Set([0, 1, 2, 3]) }).check(model)).resolves.toMatchObject({ verdict: 'fits' });
  });

  it('no config.json, a Hub id or a script model: no estimate, no refusal', async () => {
    const c = checker([gpu(0, 2)]);
    expect(await c.check(entry({ modelPath: join(await tempDir(), 'missing'), tp: 1 }))).toBeNull();
    expect(await c.check(entry({ script: '/x/start.sh' }))).toBeNull();
  });

  it('learns the weights figure of a successful load and uses it for the next estimate (kept in the state dir)', async () => {
    const stateDir = await tempDir();
    const model = entry({ modelPath: await modelFolder(QWEN_32B), tp: 4, contextLength: 32768, memFractionStatic: 0.85 });
    const c = checker(
      [0, 1, 2, 3].map((i) => gpu(i, 2)),
      { stateDir },
    );
    expect((await c.estimate(model))?.weightsSource).toBe('params');
    for (const { text } of readSglangRecords(SGLANG_LOG_FIXTURES.tp4)) {
      const event = parseSglangLine(text);
      if (event) c.onLogEvent(event, model.id);
    }
    await c.onLoadFinished(model, model.id, true, 1000);
    const saved = JSON.parse(await readFile(join(stateDir, 'fit-figures.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toEqual({ qwq: { weightsGib: 15.54, tp: 4, kvTokens: 46611, preLoadAvailGib: 21.63, atMs: 1000 } });
    // A new checker over the same state dir reads it back.
    const next = await checker(
      [0, 1, 2, 3].map((i) => gpu(i, 2)),
      { stateDir },
    ).estimate(model);
    expect(next).toMatchObject({ weightsSource: 'learned', weightsPerGpuGib: 15.54 });
    // At another tp the per-GPU figure does not apply.
    expect(
      (
        await checker(
          [0, 1].map((i) => gpu(i, 2)),
          { stateDir },
        ).estimate({ ...model, tp: 2 })
      )?.weightsSource,
    ).toBe('params');
  });

  it('beforeLoad keeps the prediction (refusing unless force); the comparison fills in from the real TP-4 log, then from /server_info', async () => {
    const stateDir = await tempDir();
    const model = entry({ modelPath: await modelFolder(QWEN_32B), tp: 4, contextLength: 32768, memFractionStatic: 0.85, gpus: [0, 1, 2, 3] });
    const server = { weightsGib: 15.54, kvPoolGib: 11.38, kvTokens: 46611 };
    const c = new FitChecker({
      gpuSamples: () => [0, 1, 2, 3].map((i) => gpu(i, 2)),
      releasedGpus: () => new Set(),
      learned: new LearnedFitStore(stateDir),
      readServerMemory: async (id) => (id === model.id ? server : null),
    });
    expect(c.comparison(model.id)).toBeUndefined();
    await c.beforeLoad(model, false);
    const predicted = c.comparison(model.id)!;
    expect(predicted.actual).toEqual({ weightsPerGpuGib: null, kvTokens: null, source: null });
    expect(predicted.predicted).toMatchObject({ verdict: 'fits', weightsSource: 'params' });
    const records = readSglangRecords(SGLANG_LOG_FIXTURES.tp4);
    for (const { text } of records) {
      const event = parseSglangLine(text);
      if (event) c.onLogEvent(event, model.id);
      // Weights are reported before the KV pool.
      if (text.includes('Load weight end')) expect(c.comparison(model.id)!.actual).toMatchObject({ weightsPerGpuGib: 15.54, kvTokens: null, source: 'log' });
    }
    // The log's figures (rank 0's) beside the prediction that was made before the launch.
    expect(c.comparison(model.id)).toEqual({ predicted: predicted.predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: 46611, source: 'log' } });
    await c.onLoadFinished(model, model.id, true, 1000);
    expect(c.comparison(model.id)!.actual.source).toBe('server_info');
    c.forget(model.id);
    expect(c.comparison(model.id)).toBeUndefined();

    // On two of the GPUs the model will not fit: refused, unless forced (then the prediction is kept all the same).
    const small = { ...model, tp: 1, gpus: [0] };
    await expect(c.beforeLoad(small, false)).rejects.toMatchObject({ code: 'will_not_fit' });
    await c.beforeLoad(small, true);
    expect(c.comparison(small.id)!.predicted?.verdict).toBe('will_not_fit');
  });

  it("learns the context reserve (free memory before the launch − the log's `Load weight begin` avail) and uses it for every model at that TP", async () => {
    const stateDir = await tempDir();
    // Idle L4s (23034 MiB), as the TP-4 QwQ log's machine: the log says avail 21.63 GB at Load weight begin (0.86 GiB less).
    const l4s = [0, 1, 2, 3].map((i) => gpu(i, 0, 23_034));
    const c = checker(l4s, { stateDir });
    const model = entry({ modelPath: await modelFolder(QWEN_32B), tp: 4, contextLength: 32768, memFractionStatic: 0.85, gpus: [0, 1, 2, 3] });
    const other = entry({ id: 'other', modelPath: await modelFolder(QWEN_32B), tp: 4, contextLength: 32768, memFractionStatic: 0.85, gpus: [0, 1, 2, 3] });
    const before = await c.estimate(other);
    await c.beforeLoad(model, false);
    for (const { text } of readSglangRecords(SGLANG_LOG_FIXTURES.tp4)) {
      const event = parseSglangLine(text);
      if (event) c.onLogEvent(event, model.id);
    }
    await c.onLoadFinished(model, model.id, true, 1000);
    const learnt = 23_034 / 1024 - 21.63;
    const saved = JSON.parse(await readFile(join(stateDir, 'fit-figures.json'), 'utf8')) as Record<string, { contextReserveGib: number }>;
    expect(saved.qwq!.contextReserveGib).toBeCloseTo(learnt, 2);
    // Another model at TP 4 now starts from 21.63 GiB like SGLang did: its KV tokens are what the log allocated.
    const after = await c.estimate(other);
    expect(after!.kvTokens).toBeLessThan(before!.kvTokens!);
    expect(Math.abs(after!.kvTokens! - 46_611) / 46_611).toBeLessThan(0.01);
    // At another TP the figure does not apply: the default reserve again.
    const tp2 = { ...other, tp: 2, gpus: [0, 1] };
    expect((await c.estimate(tp2))!.kvTokens).toBe((await checker(l4s).estimate(tp2))!.kvTokens);
  });

  it('a load without any log (no journal) learns from /server_info alone', async () => {
    const stateDir = await tempDir();
    const model = entry({ modelPath: await modelFolder(QWEN_32B), tp: 4 });
    const c = new FitChecker({
      gpuSamples: () => [],
      releasedGpus: () => new Set(),
      learned: new LearnedFitStore(stateDir),
      readServerMemory: async () => ({ weightsGib: 15.5, kvPoolGib: null, kvTokens: 40000 }),
    });
    await c.beforeLoad(model, false);
    await c.onLoadFinished(model, model.id, true, 5);
    const saved = JSON.parse(await readFile(join(stateDir, 'fit-figures.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toEqual({ qwq: { weightsGib: 15.5, tp: 4, kvTokens: 40000, preLoadAvailGib: null, atMs: 5 } });
  });

  it('a failed load teaches nothing', async () => {
    const stateDir = await tempDir();
    const model = entry({ modelPath: await modelFolder(QWEN_32B), tp: 4 });
    const c = checker([], { stateDir });
    for (const { text } of readSglangRecords(SGLANG_LOG_FIXTURES.tp4)) {
      const event = parseSglangLine(text);
      if (event) c.onLogEvent(event, model.id);
    }
    await c.onLoadFinished(model, model.id, false, 1000);
    await expect(readFile(join(stateDir, 'fit-figures.json'), 'utf8')).rejects.toThrow();
  });

  it('the demo host’s models all pass the check on its idle fake 3090s', async () => {
    const dir = await tempDir();
    const loaded = await loadCatalogFile(await writeDemoHost({ dir, routerPort: 8002, backendPort: 8001, timeScale: 1 }));
    if (!loaded.ok) throw new Error('demo catalog did not load');
    const c = checker([0, 1, 2, 3, 4, 5].map((i) => gpu(i, 2)));
    for (const model of loaded.catalog.models) {
      const fit = await c.check(model);
      expect(fit?.verdict, model.id).toMatch(/^(fits|tight)$/);
      if (process.env.FIT_TABLE) console.log(`${model.id}: ${fit?.verdict} — ${fit?.summary}`);
    }
  });
});
