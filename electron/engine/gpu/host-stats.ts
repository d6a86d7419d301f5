// Host CPU, memory and load: the only user of systeminformation.

import { loadavg } from 'node:os';
import * as si from 'systeminformation';
import type { HostStats } from '../../../shared/gpu-types.js';

const MiB = 1024 * 1024;

/** The parts of systeminformation's answers that HostStats uses. */
export interface HostReadings {
  load: Pick<si.Systeminformation.CurrentLoadData, 'currentLoad' | 'cpus'>;
  mem: Pick<si.Systeminformation.MemData, 'total' | 'available' | 'swaptotal' | 'swapused'>;
  loadAvg: number[];
}

/** Reads the host now. CPU load is the busy share since the previous call (systeminformation keeps the last tick). */
export async function readHostStats(now: () => number = Date.now): Promise<HostStats> {
  const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
  return toHostStats({ load, mem, loadAvg: loadavg() }, now());
}

/** Pure mapping to HostStats; a value that is not a finite number becomes null. */
export function toHostStats({ load, mem, loadAvg }: HostReadings, atMs: number): HostStats {
  const finite = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : null);
  const mib = (bytes: number | undefined) => {
    const value = finite(bytes);
    return value === null ? null : Math.round(value / MiB);
  };
  // Used = what processes hold; the page cache is free to reclaim, so total − available, not total − free.
  const usedBytes = finite(mem.total) !== null && finite(mem.available) !== null ? mem.total - mem.available : undefined;
  return {
    atMs,
    cpuLoadPct: finite(load.currentLoad),
    cpuCount: Array.isArray(load.cpus) && load.cpus.length > 0 ? load.cpus.length : null,
    loadAvg1: finite(loadAvg[0]),
    loadAvg5: finite(loadAvg[1]),
    loadAvg15: finite(loadAvg[2]),
    memTotalMiB: mib(mem.total),
    memUsedMiB: mib(usedBytes),
    memAvailableMiB: mib(mem.available),
    swapTotalMiB: mib(mem.swaptotal),
    swapUsedMiB: mib(mem.swapused),
  };
}
