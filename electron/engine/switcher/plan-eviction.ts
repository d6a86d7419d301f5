import type { SlotStatus, SwitchCause } from '../../../shared/engine-state.js';
import { formatGpuSet, overlaps, type GpuSet } from '../../../shared/gpu-sets.js';

/** A slot as the eviction planner sees it: which model it holds, on which GPUs, in which state. */
export interface RunningSlot {
  slotId: string;
  modelId: string;
  gpus: GpuSet;
  pinned: boolean;
  status: SlotStatus;
}

/** The slots to stop before the target starts, or why it may not start. */
export type EvictionPlan = { ok: true; evict: RunningSlot[] } | { ok: false; pinned: RunningSlot[]; message: string };

/** The model a switch wants to start, and where. */
export interface EvictionTarget {
  modelId: string;
  slotId: string;
  gpus: GpuSet;
}

/** Slot states in which the backend holds (or is about to hold, or still holds) its GPUs' memory; a sleeping server holds only its CUDA context and is left alone. */
const HOLDS_GPUS: ReadonlySet<SlotStatus> = new Set<SlotStatus>(['starting', 'loading', 'ready', 'releasing', 'waking', 'stopping']);

/** Causes that may evict a pinned model: a person asked for this switch. */
const MAY_EVICT_PINNED: ReadonlySet<SwitchCause> = new Set<SwitchCause>(['manual', 'cli']);

/**
 * Which running slots must stop so the target can start: exactly those holding GPUs that overlap
 * the target's, including the target's own slot when it holds another model, never the target's
 * slot when it already holds the target. Refuses when one of them holds a pinned model and the
 * cause is not manual or cli. Pure; the result is sorted by slotId.
 */
export function planEviction(target: EvictionTarget, running: readonly RunningSlot[], cause: SwitchCause): EvictionPlan {
  const evict = running
    .filter((slot) => HOLDS_GPUS.has(slot.status) && overlaps(slot.gpus, target.gpus))
    .filter((slot) => !(slot.slotId === target.slotId && slot.modelId === target.modelId))
    .sort((a, b) => (a.slotId < b.slotId ? -1 : a.slotId > b.slotId ? 1 : 0));
  const pinned = evict.filter((slot) => slot.pinned);
  if (pinned.length === 0 || MAY_EVICT_PINNED.has(cause)) return { ok: true, evict };
  return { ok: false, pinned, message: pinnedMessage(pinned, target.modelId) };
}

function pinnedMessage(pinned: RunningSlot[], targetId: string): string {
  const [slot] = pinned;
  if (slot && pinned.length === 1) {
    return `model "${slot.modelId}" is pinned on ${formatGpuSet(slot.gpus)} and cannot be evicted for "${targetId}"; unpin it or switch manually`;
  }
  const names = pinned.map((slot) => `"${slot.modelId}" (${formatGpuSet(slot.gpus)})`);
  const list = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `models ${list} are pinned and cannot be evicted for "${targetId}"; unpin them or switch manually`;
}
