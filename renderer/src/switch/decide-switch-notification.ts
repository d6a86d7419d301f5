import { formatDuration } from '../../../shared/format-duration.js';
import type { SwitchTrack } from './switch-track.js';

/** What the notifier knows about the desktop when a switch ends. */
export interface NotifyContext {
  /** Notification.permission, or 'unsupported' where the API is missing. */
  permission: NotificationPermission | 'unsupported';
  /** The page is visible and its window has the focus (the user is looking at the app). */
  watching: boolean;
  /** The screen shown (the hash route id). */
  screen: string;
  /**
   * The host process notifies natively while the window is not watched (Electron's main process,
   * electron/main/load-notification.ts); a browser tab has no such host.
   */
  hostNotifies: boolean;
}

/** 'desktop' = a web Notification; 'toast' = inside the window. */
export type NotifyChannel = 'desktop' | 'toast';

export interface SwitchNotification {
  channel: NotifyChannel;
  title: string;
  body: string;
  failed: boolean;
  /** One notification per slot: a newer one replaces the older. */
  tag: string;
}

/**
 * How the end of a switch is announced, or null; pure. Ready (a load or a warm model's wake) and
 * failed are, a cancelled switch is not (someone stopped or superseded it). One notice per switch:
 * - watching the Switch screen: nothing (the screen says it);
 * - watching another screen: a toast in the window;
 * - not watching, in Electron: nothing here (the main process notifies natively);
 * - not watching, in a browser: a desktop notification when permitted, else a toast for when they return.
 */
export function decideSwitchNotification(ended: SwitchTrack, context: NotifyContext): SwitchNotification | null {
  if (ended.kind !== 'switch' || ended.active) return null;
  if (ended.outcome !== 'ready' && ended.outcome !== 'failed') return null;
  let channel: NotifyChannel;
  if (context.watching) {
    if (context.screen === 'switch') return null;
    channel = 'toast';
  } else {
    if (context.hostNotifies) return null;
    channel = context.permission === 'granted' ? 'desktop' : 'toast';
  }
  const model = ended.modelId ?? 'the model';
  const tag = `switchboard-slot-${ended.slotId}`;
  if (ended.outcome === 'ready') {
    const took = ended.startedAtMs !== null && ended.endedAtMs !== null ? formatDuration(ended.endedAtMs - ended.startedAtMs) : null;
    if (ended.wake) return { channel, title: `${model} is ready`, body: took ? `Woken in ${took}.` : 'Woken from sleep.', failed: false, tag };
    return { channel, title: `${model} is ready`, body: took ? `Switched in ${took}.` : 'Switch finished.', failed: false, tag };
  }
  const failure = ended.failure;
  const body = failure ? `${failure.message} — ${failure.hint}` : 'The load failed; the Switch screen has the log.';
  return { channel, title: `${model} failed to load`, body, failed: true, tag };
}
