import type { GpuSample } from '../../../shared/gpu-types.js';

/** A GPU's power-limit range as its latest sample reports it. */
export interface PowerLimitBounds {
  minW: number;
  maxW: number;
  defaultW: number | null;
  /** The requested limit now (`power.limit`). */
  currentW: number | null;
}

/** The range from a sample; null when the driver does not report min or max (the slider is then disabled). */
export function powerLimitBounds(sample: Pick<GpuSample, 'minPowerLimitW' | 'maxPowerLimitW' | 'defaultPowerLimitW' | 'powerLimitW'>): PowerLimitBounds | null {
  const { minPowerLimitW: minW, maxPowerLimitW: maxW } = sample;
  if (minW === null || maxW === null || !(minW <= maxW)) return null;
  return { minW, maxW, defaultW: sample.defaultPowerLimitW, currentW: sample.powerLimitW };
}

export type PowerLimitCheck = { ok: true } | { ok: false; reason: string };

/** Whether `watts` may be applied: whole watts inside the range. Out of range is refused, never clamped. */
export function checkPowerLimit(watts: number, bounds: PowerLimitBounds | null): PowerLimitCheck {
  if (!bounds) return { ok: false, reason: 'This GPU does not report its power-limit range.' };
  if (!Number.isFinite(watts) || !Number.isInteger(watts)) return { ok: false, reason: 'Enter whole watts.' };
  if (watts < bounds.minW || watts > bounds.maxW) {
    return { ok: false, reason: `${watts} W is outside this GPU's range ${bounds.minW}–${bounds.maxW} W.` };
  }
  return { ok: true };
}

const STEP_KEYS: Record<string, number> = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 };

/**
 * The slider's keyboard: arrows ±1 W, Page Up/Down ±10 W, Home/End to the bounds. A step stays inside
 * the range (as a native slider does). Returns null for keys it does not handle.
 */
export function stepPowerLimit(watts: number, key: string, bounds: PowerLimitBounds): number | null {
  if (key === 'Home') return bounds.minW;
  if (key === 'End') return bounds.maxW;
  const delta = STEP_KEYS[key];
  if (delta === undefined) return null;
  const from = Number.isFinite(watts) ? Math.round(watts) : bounds.minW;
  return Math.min(bounds.maxW, Math.max(bounds.minW, from + delta));
}

/** GPUs whose range excludes `watts`: a preset is refused for all when any GPU would refuse it. */
export function presetRefusals(watts: number, samples: readonly GpuSample[]): { index: number; reason: string }[] {
  const refusals: { index: number; reason: string }[] = [];
  for (const sample of samples) {
    const check = checkPowerLimit(watts, powerLimitBounds(sample));
    if (!check.ok) refusals.push({ index: sample.index, reason: check.reason });
  }
  return refusals;
}
