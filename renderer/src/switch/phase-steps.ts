import { LOAD_PHASES, LOAD_PHASE_LABELS, type LoadPhase } from '../../../shared/load-phase.js';
import type { SwitchTrack } from './switch-track.js';

/** How one phase of a switch stands. */
export type PhaseStepState = 'done' | 'current' | 'pending' | 'skipped' | 'failed' | 'cancelled';

export interface PhaseStep {
  phase: LoadPhase;
  label: string;
  state: PhaseStepState;
  /** Progress inside the phase (0..1), on the current phase when SGLang reports it. */
  fraction?: number;
  detail?: string;
}

/** Phases a load may pass over: nothing to stop, CUDA graphs disabled, torch.compile off. The others always happen. */
const SKIPPABLE: ReadonlySet<LoadPhase> = new Set(['stopping', 'cuda_graphs', 'torch_compile']);

/** The timeline of a switch: every phase in LOAD_PHASES order with its state; pure. */
export function phaseSteps(track: SwitchTrack): PhaseStep[] {
  const currentIndex = track.phase === null ? -1 : LOAD_PHASES.indexOf(track.phase);
  return LOAD_PHASES.map((phase, index) => {
    const step: PhaseStep = { phase, label: LOAD_PHASE_LABELS[phase], state: 'pending' };
    if (index < currentIndex) step.state = passedState(track, phase);
    else if (index === currentIndex) {
      step.state = currentState(track);
      if (step.state === 'current' || step.state === 'failed' || step.state === 'cancelled') {
        if (track.phaseFraction !== undefined) step.fraction = track.phaseFraction;
        if (track.detail !== undefined) step.detail = track.detail;
      }
    }
    return step;
  });
}

function currentState(track: SwitchTrack): PhaseStepState {
  if (track.active) return 'current';
  if (track.outcome === 'failed' || track.status === 'failed') return 'failed';
  if (track.outcome === 'cancelled') return 'cancelled';
  if (track.phase === 'ready') return 'done';
  return 'current';
}

/** A phase before the current one: done when seen (or when it always happens), skipped when it is known it was not. */
function passedState(track: SwitchTrack, phase: LoadPhase): PhaseStepState {
  if (track.seen.includes(phase) || !SKIPPABLE.has(phase)) return 'done';
  // The history record lists every phase from the launch on; stopping happens before it.
  const known = track.observedFromStart || (track.recorded && phase !== 'stopping');
  return known ? 'skipped' : 'done';
}

/** The whole switch as one 0..1 fraction for a progress bar: elapsed / (elapsed + time left) when an ETA is known. */
export function overallFraction(track: SwitchTrack, elapsedMs: number | null, etaLeftMs: number | null): number | null {
  if (!track.active) return track.outcome === 'ready' ? 1 : null;
  if (elapsedMs === null || etaLeftMs === null) return null;
  const total = elapsedMs + Math.max(0, etaLeftMs);
  return total <= 0 ? null : Math.min(0.99, elapsedMs / total);
}
