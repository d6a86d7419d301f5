import type { SlotView } from '../../shared/engine-state.js';
import { describeStall } from '../../shared/stall-timeouts.js';
import { formatDuration } from '../../shared/format-duration.js';

/** "weights 45% (shard 4/9)": the phase id, the in-phase percentage and SGLang's detail when known. */
export function formatPhase(slot: SlotView): string {
  const progress = slot.progress;
  if (!progress) return slot.status;
  const percent = progress.phaseFraction === undefined ? '' : ` ${Math.round(progress.phaseFraction * 100)}%`;
  const detail = progress.detail ? ` (${progress.detail})` : '';
  return `${progress.phase}${percent}${detail}`;
}

/** "⏳ weights 45% (shard 4/9) · 0m12s · ~0m20s left" for a slot that is starting or loading. */
export function formatLoadProgress(slot: SlotView, nowMs: number): string {
  const parts = [`⏳ ${formatPhase(slot)}`];
  if (slot.loadStartedAtMs !== undefined) parts.push(formatDuration(nowMs - slot.loadStartedAtMs));
  if (slot.etaMs !== undefined && slot.etaMs !== null) parts.push(`~${formatDuration(slot.etaMs)} left`);
  const stall = describeStall(slot.stall, nowMs);
  if (stall) parts.push(`⚠ ${stall}`);
  return parts.join(' · ');
}
