import type { SlotStatus, SlotView } from '../../../shared/engine-state.js';

/** How much a slot status asks for attention: something under way, then a failure, then a model serving. */
const INTEREST: Record<SlotStatus, number> = { starting: 3, loading: 3, stopping: 3, failed: 2, ready: 1, stopped: 0 };

/** Orders slots by interest (busy > failed > ready > stopped), keeping the engine's order among equals. */
export function compareSlotInterest(a: SlotView, b: SlotView): number {
  return INTEREST[b.status] - INTEREST[a.status];
}

/** The status that stands for several slots (the header's dot): the most interesting one; 'stopped' with no slots. */
export function summarizeSlotStatus(slots: readonly SlotView[]): SlotStatus {
  return [...slots].sort(compareSlotInterest)[0]?.status ?? 'stopped';
}
