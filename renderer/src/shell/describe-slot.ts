import type { SlotView } from '../../../shared/engine-state.js';
import { LOAD_PHASE_LABELS } from '../../../shared/load-phase.js';

/** One line for the header: what the slot is doing ("Loading mistral… — Loading weights 44%"). */
export function describeSlot(slot: SlotView | null): string {
  if (!slot) return 'No engine state yet';
  const model = slot.modelId ?? 'no model';
  switch (slot.status) {
    case 'ready':
      return slot.pending && slot.pending.modelId !== slot.modelId ? `${model} ready — switching to ${slot.pending.modelId}` : `${model} ready`;
    case 'starting':
    case 'loading': {
      const progress = slot.progress;
      const phase = progress ? LOAD_PHASE_LABELS[progress.phase] : 'Starting';
      const percent = progress?.phaseFraction === undefined ? '' : ` ${Math.round(progress.phaseFraction * 100)}%`;
      return `Loading ${model} — ${phase}${percent}`;
    }
    case 'stopping':
      return slot.pending ? `Stopping ${model} — switching to ${slot.pending.modelId}` : `Stopping ${model}`;
    case 'failed':
      return `${model} failed${slot.failure ? `: ${slot.failure.message}` : ''}`;
    case 'stopped':
      return slot.pending ? `Switching to ${slot.pending.modelId}` : 'No model loaded';
  }
}
