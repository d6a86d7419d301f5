import type { SlotStatus, SlotView } from '../../../shared/engine-state.js';

/**
 * How much a slot status asks for attention: something under way (loading, stopping, putting a warm
 * model to sleep or waking it), then a failure, then a model serving, then one asleep.
 */
const INTEREST: Record<SlotStatus, number> = { starting: 4, loading: 4, stopping: 4, releasing: 4, waking: 4, failed: 3, ready: 2, sleeping: 1, stopped: 0 };

/** Orders slots by interest (busy > failed > ready > sleeping > stopped), keeping the engine's order among equals. */
export function compareSlotInterest(a: SlotView, b: SlotView): number {
  return INTEREST[b.status] - INTEREST[a.status];
}

/** The status that stands for several slots (the header's dot): the most interesting one; 'stopped' with no slots. */
export function summarizeSlotStatus(slots: readonly SlotView[]): SlotStatus {
  return [...slots].sort(compareSlotInterest)[0]?.status ?? 'stopped';
}
