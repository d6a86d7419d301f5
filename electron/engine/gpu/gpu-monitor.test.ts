import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuAvailability, GpuSample, GpuTopologySnapshot, HostStats } from '../../../shared/gpu-types.js';
import { GpuMonitor, normalizeGpuId, type GpuTick, type SamplerLike } from './gpu-monitor.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../system/nvidia-smi/testing/fake-nvidia-smi.js';
import { nth } from '../../../test/support/nth.js';

/** A sampler the test drives tick by tick. */
class StubSampler implements SamplerLike {
  private listener: ((samples: GpuSample[]) => void) | null = null;
  private last: GpuSample[] = [];
  stopped = false;
  constructor(private readonly availability: GpuAvailability) {}
  async start() {
    return this.availability;
  }
  async stop() {
    this.stopped = true;
  }
  state() {
    return this.availability;
  }
  latest() {
    return this.last;
  }
  history(uuid: string) {
    return this.last.filter((s) => s.uuid === uuid);
  }
  subscribe(listener: (samples: GpuSample[]) => void) {
    this.listener = listener;
    return () => (this.listener = null);
  }
  tick(samples: GpuSample[]) {
    this.last = samples;
    this.listener?.(samples);
  }
}

function sample(index: number, uuid: string, busId: string): GpuSample {
  return {
    index,
    uuid,
    busId,
    name: 'NVIDIA GeForce RTX 3090',
    atMs: 1,
    utilGpuPct: 0,
    memUsedMiB: 1,
    memTotalMiB: 24576,
    tempC: 30,
    powerDrawW: 30,
    powerLimitW: 350,
    enforcedPowerLimitW: 350,
    defaultPowerLimitW: 350,
    minPowerLimitW: 100,
    maxPowerLimitW: 350,
    smClockMHz: 0,
    fanPct: 0,
    pstate: 'P8',
  };
}

const host = (atMs: number): HostStats => ({
  atMs,
  cpuLoadPct: 5,
  cpuCount: 8,
  loadAvg1: 0.1,
  loadAvg5: 0.1,
  loadAvg15: 0.1,
  memTotalMiB: 64000,
  memUsedMiB: 1000,
  memAvailableMiB: 63000,
  swapTotalMiB: 0,
  swapUsedMiB: 0,
});
const TOPO: GpuTopologySnapshot = { atMs: 5, topology: null, nvlink: [], nvlinkSets: [[0, 1]], errors: [] };
const A = sample(0, 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746', '00000000:41:00.0');
const B = sample(1, 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff01', '00000000:42:00.0');

describe('GpuMonitor (stub sampler)', () => {
  it('reads the topology once at start when GPUs answer, and again on demand', async () => {
    let reads = 0;
    const monitor = new GpuMonitor({ sampler: new StubSampler({ available: true, gpuCount: 2 }), readTopology: async () => ({ ...TOPO, atMs: ++reads }), readHost: async () => host(Date.now()) });
    await monitor.start();
    expect(monitor.topology()?.atMs).toBe(1);
    expect((await monitor.view({ refreshTopology: true })).nvlinkSets).toEqual([[0, 1]]);
    expect(reads).toBe(2);
  });

  it('neither reads the topology without GPUs nor when the host gave one', async () => {
    let reads = 0;
    const readTopology = async () => (reads++, TOPO);
    await new GpuMonitor({ sampler: new StubSampler({ available: false, reason: 'no NVIDIA GPU found (x)' }), readTopology }).start();
    await new GpuMonitor({ sampler: new StubSampler({ available: true, gpuCount: 1 }), readTopology, topology: TOPO }).start();
    expect(reads).toBe(0);
  });

  it('says why when unavailable, with host stats still read', async () => {
    const monitor = new GpuMonitor({ sampler: new StubSampler({ available: false, reason: 'no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)' }), readHost: async () => host(Date.now()) });
    await monitor.start();
    const view = await monitor.view();
    expect(view).toMatchObject({ available: false, reason: 'no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)', samples: [], topology: null, nvlinkSets: [] });
    expect(view.host?.cpuCount).toBe(8);
  });

  it('reads the host at start, passes each tick on once with the latest host reading, and refreshes the host after it', async () => {
    const sampler = new StubSampler({ available: true, gpuCount: 2 });
    let hostReads = 0;
    const monitor = new GpuMonitor({ sampler, readTopology: async () => TOPO, readHost: async () => host(++hostReads) });
    await monitor.start();
    expect(hostReads).toBe(1);
    const ticks: GpuTick[] = [];
    monitor.subscribe((tick) => ticks.push(tick));
    sampler.tick([A, B]);
    await new Promise((r) => setImmediate(r));
    sampler.tick([A, B]);
    expect(ticks.map((t) => [t.samples.length, t.host?.atMs ?? null])).toEqual([
      [2, 1],
      [2, 2],
    ]);
    await monitor.stop();
    expect(sampler.stopped).toBe(true);
  });

  it('finds a GPU by UUID or bus id, whatever the case or domain width', async () => {
    const sampler = new StubSampler({ available: true, gpuCount: 2 });
    const monitor = new GpuMonitor({ sampler, readTopology: async () => TOPO });
    sampler.tick([A, B]);
    expect(monitor.findGpu('gpu-4aba3cfa-7b42-cca6-97f4-5cdd281bff01')?.index).toBe(1);
    expect(monitor.findGpu('0000:42:00.0')?.index).toBe(1);
    expect(monitor.findGpu('00000000:41:00.0')?.index).toBe(0);
    expect(monitor.findGpu('0')).toBeUndefined();
    expect(monitor.findGpu('0000:43:00.0')).toBeUndefined();
  });
});

describe('normalizeGpuId', () => {
  it.each([
    ['00000000:C1:00.0', '0000:c1:00.0'],
    ['0000:c1:00.0', '0000:c1:00.0'],
    ['GPU-ABC', 'gpu-abc'],
  ])('%s → %s', (id, expected) => expect(normalizeGpuId(id)).toBe(expected));
});

describe('GpuMonitor on the fake nvidia-smi', () => {
  let fake: Awaited<ReturnType<typeof useFakeNvidiaSmiState>>;
  const monitors: GpuMonitor[] = [];
  beforeAll(async () => (fake = await useFakeNvidiaSmiState()));
  afterEach(async () => Promise.all(monitors.splice(0).map((m) => m.stop())));
  afterAll(() => fake.cleanup());

  it('samples six GPUs, reads their NVLink pairs and keeps history per GPU', async () => {
    const monitor = new GpuMonitor({ nvidiaSmiPath: FAKE_NVIDIA_SMI, sampleIntervalMs: 200 });
    monitors.push(monitor);
    expect(await monitor.start()).toEqual({ available: true, gpuCount: 6 });
    const tick = await new Promise<GpuTick>((resolve) => monitor.subscribe(resolve));
    expect(tick.samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const view = await monitor.view();
    expect(view.available).toBe(true);
    expect(view.samples[5]).toMatchObject({ busId: '00000000:C1:00.0', powerLimitW: 350, minPowerLimitW: 100, maxPowerLimitW: 350 });
    expect(view.nvlinkSets).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(view.host?.memTotalMiB).toBeGreaterThan(0);
    expect(monitor.history(nth(view.samples, 0).uuid).length).toBeGreaterThanOrEqual(2);
  });
});
