import type { EngineState, LoadRecord, SwapRecord } from '../../shared/engine-state.js';
import { formatDuration } from '../../shared/format-duration.js';

/** Whether the user is looking at the window right now. */
export interface WindowAttention {
  visible: boolean;
  focused: boolean;
}

export interface LoadNotice {
  title: string;
  body: string;
  failed: boolean;
}

/**
 * The native notification for a finished switch, or null for none.
 *
 * The rule that keeps one notice per switch: the renderer shows its own toast while its page is
 * visible and focused (document.visibilityState === 'visible' && document.hasFocus()); the main
 * process notifies natively exactly when that is not the case (window hidden to the tray,
 * minimized, or another app focused). Cancelled loads (superseded by another switch) say nothing.
 *
 * For a failure the hint comes from the state's model view (`lastFailure`, which the load record
 * does not carry), when that failure belongs to this load.
 */
export function loadNotification(record: LoadRecord, state: EngineState | null, attention: WindowAttention): LoadNotice | null {
  if (attention.visible && attention.focused) return null;
  if (record.outcome === 'cancelled') return null;
  const model = state?.models.find((m) => m.id === record.modelId);
  const label = model?.label ?? record.modelId;
  if (record.outcome === 'ready') {
    return { title: `${label} is ready`, body: `Loaded in ${formatDuration(record.endedAtMs - record.startedAtMs)}`, failed: false };
  }
  const failure = model?.lastFailure && model.lastFailure.atMs >= record.startedAtMs ? model.lastFailure : undefined;
  const message = failure?.message ?? record.failure?.message ?? 'the load failed';
  return { title: `⚠ ${label} failed to load`, body: failure?.hint ? `${message} — ${failure.hint}` : message, failed: true };
}

/**
 * The native notification for a finished wake of a sleeping warm model (a swap record, not a load),
 * by the same attention rule; null for other swap records. A wake that fell back to a cold load says
 * nothing here: that load's own record brings its notice.
 */
export function wakeNotification(record: SwapRecord, state: EngineState | null, attention: WindowAttention): LoadNotice | null {
  if (record.action !== 'wake' || record.outcome !== 'ready') return null;
  if (attention.visible && attention.focused) return null;
  const label = state?.models.find((m) => m.id === record.modelId)?.label ?? record.modelId;
  return { title: `${label} is ready`, body: `Woken in ${formatDuration(record.durationMs ?? 0)}`, failed: false };
}
