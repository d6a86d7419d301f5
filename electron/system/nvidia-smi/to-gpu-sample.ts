// Typed samples from parsed query rows: units in names, null for unknown.

import type { GpuMetrics, GpuSample } from '../../../shared/gpu-types.js';
import type { QueryRow } from './parse-query-csv.js';

/** A decimal number, or null for anything else (hex, "P2", units left on). */
export function toNumber(value: string | null | undefined): number | null {
  if (value == null || !/^-?\d+(\.\d+)?$/.test(value)) return null;
  return Number(value);
}

/** The measured fields of a row; fields the row lacks are null. */
export function readGpuMetrics(row: QueryRow): GpuMetrics {
  const num = (field: string) => toNumber(row[field]);
  return {
    utilGpuPct: num('utilization.gpu'),
    memUsedMiB: num('memory.used'),
    memTotalMiB: num('memory.total'),
    tempC: num('temperature.gpu'),
    // Instant is what a power limit caps; power.draw is a 1 s average on Ampere+ and lags the limit.
    powerDrawW: num('power.draw.instant') ?? num('power.draw'),
    powerLimitW: num('power.limit'),
    enforcedPowerLimitW: num('enforced.power.limit'),
    defaultPowerLimitW: num('power.default_limit'),
    minPowerLimitW: num('power.min_limit'),
    maxPowerLimitW: num('power.max_limit'),
    smClockMHz: num('clocks.current.sm'),
    fanPct: num('fan.speed'),
    pstate: row['pstate'] ?? null,
  };
}

/** A full sample; null when the row has no index or UUID to key it by. */
export function toGpuSample(row: QueryRow, atMs: number): GpuSample | null {
  const index = toNumber(row['index']);
  const uuid = row['uuid'];
  if (index === null || !uuid) return null;
  return { index, uuid, busId: row['pci.bus_id'] ?? null, name: row['name'] ?? null, ...readGpuMetrics(row), atMs };
}
