import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuSample } from '../../../shared/gpu-types.js';
import { nth } from '../../../test/support/nth.js';
import { GpuSampler, type GpuSamplerOptions } from './gpu-sampler.js';
import type { ReplayConfig } from './testing/replay-nvidia-smi.js';
import { REPLAY_CAPTURES, writeReplayNvidiaSmi } from './testing/write-replay-nvidia-smi.js';

// The replayed values come from the all-field captures: 4080 SUPER idle (GPU 0) and 2080 SUPER load (GPU 1).
const GPU0 = 'GPU-00000000-0000-0000-0000-000000000000';
const GPU1 = 'GPU-00000000-0000-0000-0000-000000000001';
const TWO_GPUS = [REPLAY_CAPTURES.rtx4080sIdle, REPLAY_CAPTURES.rtx2080sLoad];
const FAST: GpuSamplerOptions = { intervalMs: 40, restartDelayMs: { initial: 20, max: 100 } };

const samplers: GpuSampler[] = [];
const replayDirs: string[] = [];
afterEach(async () => {
  await Promise.all(samplers.splice(0).map((s) => s.stop()));
  await Promise.all(replayDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function startReplay(config: ReplayConfig, options: GpuSamplerOptions = {}): Promise<GpuSampler> {
  const nvidiaSmiPath = await writeReplayNvidiaSmi(config);
  replayDirs.push(dirname(nvidiaSmiPath));
  const sampler = new GpuSampler({ ...FAST, ...options, nvidiaSmiPath });
  samplers.push(sampler);
  await sampler.start();
  return sampler;
}

/** Resolves with the next ticks for which `until` holds `count` times. */
function collectTicks(sampler: GpuSampler, count: number, until: (tick: GpuSample[]) => boolean = () => true): Promise<GpuSample[][]> {
  return new Promise((resolve) => {
    const ticks: GpuSample[][] = [];
    const unsubscribe = sampler.subscribe((tick) => {
      if (!until(tick)) return;
      ticks.push(tick);
      if (ticks.length < count) return;
      unsubscribe();
      resolve(ticks);
    });
  });
}

describe('GpuSampler', () => {
  it('without nvidia-smi: unavailable with the reason, and nothing throws', async () => {
    const sampler = new GpuSampler({ nvidiaSmiPath: '/nonexistent/nvidia-smi' });
    samplers.push(sampler);
    expect(await sampler.start()).toEqual({ available: false, reason: 'no NVIDIA GPU found (nvidia-smi not found at /nonexistent/nvidia-smi)' });
    expect(sampler.latest()).toEqual([]);
    expect(sampler.history(GPU0)).toEqual([]);
  });

  it('with a path that cannot run (a directory): unavailable with the OS error, retried later', async () => {
    const sampler = new GpuSampler({ nvidiaSmiPath: tmpdir(), restartDelayMs: { initial: 60_000, max: 60_000 } });
    samplers.push(sampler);
    const state = await sampler.start();
    expect(state.available).toBe(false);
    expect(!state.available && state.reason).toMatch(/^no NVIDIA GPU found \(nvidia-smi: spawn .* EACCES\)$/);
  });

  it('samples two GPUs from one long-lived -lms process, a tick per interval, instant power preferred', async () => {
    const argvLog = join(tmpdir(), `replay-argv-${process.pid}-${Date.now()}.jsonl`);
    replayDirs.push(argvLog);
    const sampler = await startReplay({ captures: TWO_GPUS, helpCapture: REPLAY_CAPTURES.help595, argvLog });
    expect(sampler.state()).toEqual({ available: true, gpuCount: 2 });
    const ticks = await collectTicks(sampler, 5);
    expect(ticks.every((tick) => tick.map((s) => s.index).join() === '0,1')).toBe(true);
    const [gpu0, gpu1] = nth(ticks, 4);
    expect(gpu0).toMatchObject({
      uuid: GPU0,
      busId: '00000000:01:00.0',
      name: 'NVIDIA GeForce RTX 4080 SUPER',
      powerDrawW: 28.77,
      tempC: 43,
      memUsedMiB: 596,
      fanPct: 0,
      minPowerLimitW: 150,
      maxPowerLimitW: 400,
    });
    expect(gpu1).toMatchObject({ uuid: GPU1, busId: '00000000:0C:00.0', powerDrawW: 98.14, enforcedPowerLimitW: 250, smClockMHz: 2070, pstate: 'P2' });
    expect(sampler.latest()).toHaveLength(2);
    expect(sampler.history(GPU1).length).toBeGreaterThanOrEqual(6); // the probe's sample plus the five ticks
    const invocations = (await readFile(argvLog, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    expect(invocations.map((argv) => argv.at(-2) === '-lms')).toEqual([false, false, true]); // help, one query, one loop
    expect(nth(invocations, 2).join(' ')).toContain('--query-gpu=index,uuid,pci.bus_id,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,');
    expect(nth(invocations, 2)[0]).toMatch(/,pstate,power\.draw\.instant$/);
  });

  it('on a pre-535 driver asks without power.draw.instant and reports power.draw', async () => {
    const sampler = await startReplay({ captures: [REPLAY_CAPTURES.rtx4080sIdle], helpCapture: REPLAY_CAPTURES.helpPre535 });
    const [gpu0] = nth(await collectTicks(sampler, 1), 0);
    expect(gpu0?.powerDrawW).toBe(26.2);
  });

  it('restarts nvidia-smi after it dies mid-line and keeps the history going', async () => {
    const sampler = await startReplay({ captures: TWO_GPUS, helpCapture: REPLAY_CAPTURES.help595, exitAfterTicks: 2 });
    await collectTicks(sampler, 7);
    expect(sampler.starts).toBeGreaterThanOrEqual(2);
    expect(sampler.state()).toEqual({ available: true, gpuCount: 2 });
    const history = sampler.history(GPU0);
    expect(history.length).toBeGreaterThanOrEqual(8);
    expect(history.every((s) => s.powerDrawW === 28.77 && s.pstate === 'P8')).toBe(true); // the cut line never became a sample
  });

  it('a value turning [N/A] mid-run becomes null for that field only', async () => {
    const sampler = await startReplay({
      captures: TWO_GPUS,
      helpCapture: REPLAY_CAPTURES.help595,
      unknown: { field: 'temperature.gpu', fromTick: 3, token: '[N/A]' },
    });
    const tick = nth(await collectTicks(sampler, 1, (t) => t[0]?.tempC === null), 0);
    expect(tick.map((s) => [s.tempC, s.powerDrawW, s.memUsedMiB])).toEqual([
      [null, 28.77, 596],
      [null, 98.14, 815],
    ]);
    expect(sampler.history(GPU0)[0]?.tempC).toBe(43);
  });

  it('keeps at most historySize samples per GPU', async () => {
    const sampler = await startReplay({ captures: [REPLAY_CAPTURES.rtx2080sLoad], helpCapture: REPLAY_CAPTURES.help595 }, { historySize: 4 });
    await collectTicks(sampler, 6);
    const history = sampler.history(GPU0);
    expect(history).toHaveLength(4);
    expect(sampler.history(GPU0, nth(history, 2).atMs)).toEqual(history.slice(2));
  });
});
