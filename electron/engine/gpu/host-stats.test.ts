import { describe, expect, it } from 'vitest';
import { readHostStats, toHostStats } from './host-stats.js';

describe('host stats', () => {
  it('reads this host through systeminformation', async () => {
    const stats = await readHostStats(() => 1234);
    expect(stats.atMs).toBe(1234);
    expect(stats.cpuCount).toBeGreaterThan(0);
    expect(stats.cpuLoadPct).toBeGreaterThanOrEqual(0);
    expect(stats.cpuLoadPct).toBeLessThanOrEqual(100);
    expect(stats.memTotalMiB).toBeGreaterThan(0);
    expect(stats.memUsedMiB! + stats.memAvailableMiB!).toBeCloseTo(stats.memTotalMiB!, -1);
    expect(stats.loadAvg1).toBeGreaterThanOrEqual(0);
  });

  it('maps readings to MiB with used = total − available, and unknowns to null', () => {
    const GiB = 1024 ** 3;
    const readings = {
      load: { currentLoad: 12.5, cpus: new Array(32).fill({}) },
      mem: { total: 128 * GiB, available: 100 * GiB, swaptotal: 0, swapused: 0 },
      loadAvg: [1.5, 0.75, 0.25],
    };
    expect(toHostStats(readings, 5)).toEqual({
      atMs: 5,
      cpuLoadPct: 12.5,
      cpuCount: 32,
      loadAvg1: 1.5,
      loadAvg5: 0.75,
      loadAvg15: 0.25,
      memTotalMiB: 131072,
      memUsedMiB: 28672,
      memAvailableMiB: 102400,
      swapTotalMiB: 0,
      swapUsedMiB: 0,
    });
    const unknown = toHostStats({ load: { currentLoad: Number.NaN, cpus: [] }, mem: { total: Number.NaN, available: 1, swaptotal: 0, swapused: 0 }, loadAvg: [] }, 0);
    expect(unknown).toMatchObject({ cpuLoadPct: null, cpuCount: null, loadAvg1: null, memTotalMiB: null, memUsedMiB: null });
  });
});
