import { LOAD_PHASES, type LoadPhase } from '../../../shared/load-phase.js';
import type { LoadRecord } from '../../../shared/engine-state.js';

/** How many recent successful loads of a model the estimate looks at. */
const HISTORY_WINDOW = 5;

/** Median of each phase's duration over the model's recent successful loads. */
export function typicalPhaseMs(records: readonly LoadRecord[]): Partial<Record<LoadPhase, number>> | null {
  const recent = records.filter((r) => r.outcome === 'ready').slice(-HISTORY_WINDOW);
  if (recent.length === 0) return null;
  const typical: Partial<Record<LoadPhase, number>> = {};
  for (const phase of LOAD_PHASES) {
    const samples = recent.map((r) => r.phaseMs[phase]).filter((v): v is number => v !== undefined);
    if (samples.length > 0) typical[phase] = median(samples);
  }
  return typical;
}

/** Median wall time of a model's recent successful loads, or null without history. */
export function typicalLoadMs(records: readonly LoadRecord[]): number | null {
  const recent = records.filter((r) => r.outcome === 'ready').slice(-HISTORY_WINDOW);
  return recent.length === 0 ? null : median(recent.map((r) => r.endedAtMs - r.startedAtMs));
}

export interface EtaInput {
  phase: LoadPhase;
  /** Progress inside the phase (0..1) when SGLang reports it. */
  phaseFraction?: number;
  /** Time already spent in the current phase. */
  phaseElapsedMs: number;
}

/**
 * Estimated ms until ready: what is left of the current phase (from its reported progress when there is
 * some, else from its typical duration minus the time spent) plus the typical durations of later phases.
 * Null without history.
 */
export function estimateEtaMs(typical: Partial<Record<LoadPhase, number>> | null, now: EtaInput): number | null {
  if (!typical) return null;
  if (now.phase === 'ready') return 0;
  const index = LOAD_PHASES.indexOf(now.phase);
  let remaining = remainingInPhase(typical[now.phase], now);
  for (const phase of LOAD_PHASES.slice(index + 1)) remaining += typical[phase] ?? 0;
  return Math.max(0, Math.round(remaining));
}

function remainingInPhase(typicalMs: number | undefined, now: EtaInput): number {
  const { phaseFraction: f, phaseElapsedMs: elapsed } = now;
  // Reported progress beats history: this load's own rate is the better predictor.
  if (f !== undefined && f > 0.05 && f < 1) return (elapsed / f) * (1 - f);
  if (typicalMs === undefined) return 0;
  return Math.max(0, typicalMs - elapsed);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
