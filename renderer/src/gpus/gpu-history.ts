import type { GpuSample } from '../../../shared/gpu-types.js';

/** The series of a GPU's history chart, in data order. Util, memory and temperature share a 0–100 scale. */
export const HISTORY_SERIES = [
  { key: 'util', label: 'Util', unit: '%', scale: 'pct' },
  { key: 'mem', label: 'Memory', unit: '%', scale: 'pct' },
  { key: 'temp', label: 'Temp', unit: '°C', scale: 'pct' },
  { key: 'power', label: 'Power', unit: 'W', scale: 'W' },
  { key: 'limit', label: 'Limit', unit: 'W', scale: 'W' },
] as const;

/** One sample as a chart point; unknown stays null (a gap), never 0. */
export function historyPoint(sample: GpuSample): (number | null)[] {
  const memPct = sample.memUsedMiB !== null && sample.memTotalMiB ? (100 * sample.memUsedMiB) / sample.memTotalMiB : null;
  return [sample.utilGpuPct, memPct, sample.tempC, sample.powerDrawW, sample.enforcedPowerLimitW ?? sample.powerLimitW];
}
