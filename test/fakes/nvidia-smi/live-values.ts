// The values that move from tick to tick: around the captured idle reading, pushed up by a simulated load
// (`FAKE_NVIDIA_SMI_LOAD`, percent), and held under the power limit the way the card's power controller does.

import type { GpuState } from './fake-state.js';
import type { FakeGpu } from './scenarios.js';

/** What shapes one tick. */
export interface TickInput {
  state: GpuState;
  nowMs: number;
  /** 0..1 */
  load: number;
  /** MiB held by the compute processes on this GPU (simulated SGLang servers, compute-apps.ts). */
  processMiB?: number;
}

/** Every field of one GPU at one tick, as `--format=csv` prints it. */
export function liveFields(gpu: FakeGpu, input: TickInput): Map<string, string> {
  const fields = new Map(gpu.base);
  const idle = idleReadings(gpu);
  const { load, state } = input;
  // Smooth pseudo-noise: deterministic in time, a different phase per GPU and per field.
  const wave = (k: number) => Math.sin(input.nowMs / 1430 + gpu.index * 1.9 + k * 2.7);
  const demandW = idle.drawW + load * (gpu.defaultW * 1.05 - idle.drawW);
  const capped = demandW + 2 >= state.powerLimitW;
  const noisyW = demandW + wave(0) * (0.8 + 4 * load);
  // A capped card hovers just under its limit rather than sitting on it.
  const drawW = Math.max(idle.drawW * 0.9, Math.min(state.powerLimitW - (noisyW >= state.powerLimitW ? 1.5 * (1 + wave(6)) : 0), noisyW));
  const instantW = Math.min(state.powerLimitW, Math.max(idle.drawW * 0.8, drawW + wave(1) * (0.6 + 6 * load)));
  const tempC = Math.round(idle.tempC + ((drawW - idle.drawW) / gpu.defaultW) * 40 + wave(2) * 0.6);
  const baseUsedMiB = load > 0 ? Math.round(idle.memTotalMiB * 0.92 + wave(3) * 8) : idle.memUsedMiB;
  // The processes' memory comes on top of what the card shows idle; never more than the card has.
  const memUsedMiB = Math.min(idle.memTotalMiB - idle.memReservedMiB, baseUsedMiB + (input.processMiB ?? 0));
  const smMHz = load > 0 ? Math.round(Math.min(idle.maxSmMHz, 1695 * Math.sqrt(Math.min(1, state.powerLimitW / demandW)) + wave(4) * 15)) : idle.smMHz;

  const set = (field: string, value: string) => fields.has(field) && fields.get(field) !== '[N/A]' && fields.set(field, value);
  fields.set('timestamp', formatTimestamp(input.nowMs));
  fields.set('persistence_mode', state.persistence ? 'Enabled' : 'Disabled');
  fields.set('power.limit', watts(state.powerLimitW));
  fields.set('enforced.power.limit', watts(state.powerLimitW));
  fields.set('power.draw', watts(drawW));
  fields.set('power.draw.average', watts(drawW));
  fields.set('power.draw.instant', watts(instantW));
  set('utilization.gpu', `${Math.round(load > 0 ? clamp(load * 100 + wave(5) * 3, 1, 100) : Math.max(0, wave(5)) * 2)} %`);
  set('temperature.gpu', String(tempC));
  set('fan.speed', `${Math.round(clamp(idle.fanPct + (tempC - idle.tempC) * 1.2, idle.fanPct, 100))} %`);
  set('memory.used', `${memUsedMiB} MiB`);
  set('memory.free', `${idle.memTotalMiB - idle.memReservedMiB - memUsedMiB} MiB`);
  set('clocks.current.sm', `${smMHz} MHz`);
  set('clocks.current.graphics', `${smMHz} MHz`);
  set('pstate', load > 0 ? 'P2' : (gpu.base.get('pstate') ?? 'P8'));
  set('clocks_event_reasons.gpu_idle', load > 0 ? 'Not Active' : 'Active');
  set('clocks_event_reasons.sw_power_cap', load > 0 && capped ? 'Active' : 'Not Active');
  return fields;
}

function idleReadings(gpu: FakeGpu) {
  const num = (field: string, fallback: number) => {
    const value = Number.parseFloat(gpu.base.get(field) ?? '');
    return Number.isFinite(value) ? value : fallback;
  };
  return {
    drawW: num('power.draw', 30),
    tempC: num('temperature.gpu', 30),
    fanPct: num('fan.speed', 0),
    memUsedMiB: num('memory.used', 0),
    memTotalMiB: num('memory.total', 0),
    memReservedMiB: num('memory.reserved', 0),
    smMHz: num('clocks.current.sm', 210),
    maxSmMHz: num('clocks.max.sm', 2100),
  };
}

function watts(value: number): string {
  return `${value.toFixed(2)} W`;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** As the 595 capture prints it: `2026/06/26 11:59:44.226`. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
