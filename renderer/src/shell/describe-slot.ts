import type { SlotView } from '../../../shared/engine-state.js';
import { LOAD_PHASE_LABELS } from '../../../shared/load-phase.js';
import { compareSlotInterest } from '../engine/summarize-slot-status.js';

/** One line for the header: what the slot is doing ("Loading mistral… — Loading weights 44%", "Waking qwen…"). */
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
    case 'releasing':
      return `Putting ${model} to sleep…`;
    case 'sleeping':
      return `${model} asleep (GPU memory released)`;
    case 'waking':
      return `Waking ${model}…`;
    case 'failed':
      return `${model} failed${slot.failure ? `: ${slot.failure.message}` : ''}`;
    case 'stopped':
      return slot.pending ? `Switching to ${slot.pending.modelId}` : 'No model loaded';
  }
}

/**
 * The header line for every slot: the ones doing something (busy first, then failed, then ready),
 * joined by " · "; stopped slots with nothing pending are left out. Null: no state yet.
 */
export function describeSlots(slots: readonly SlotView[] | null): string {
  if (!slots) return describeSlot(null);
  const shown = slots.filter((s) => s.status !== 'stopped' || s.pending).sort(compareSlotInterest);
  return shown.length === 0 ? 'No model loaded' : shown.map(describeSlot).join(' · ');
}
