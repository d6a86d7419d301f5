import { useToastStore } from '../shell/toast-store.js';
import { decideSwitchNotification, type NotifyContext, type SwitchNotification } from './decide-switch-notification.js';
import type { SwitchStore } from './switch-store.js';

/** The desktop as the notifier sees it; the browser's by default, a fake in tests. */
export interface NotifierDesktop {
  context(): NotifyContext;
  show(notification: SwitchNotification): void;
}

/** Announces each switch that ends (see decideSwitchNotification). Returns the stop function. */
export function startSwitchNotifier(store: SwitchStore, desktop: NotifierDesktop): () => void {
  let lastSeq = store.getState().lastEnded?.seq ?? 0;
  return store.subscribe((state) => {
    const ended = state.lastEnded;
    if (!ended || ended.seq === lastSeq) return;
    lastSeq = ended.seq;
    const notification = decideSwitchNotification(ended.track, desktop.context());
    if (notification) desktop.show(notification);
  });
}

function hasNotifications(): boolean {
  return typeof Notification !== 'undefined';
}

/**
 * The page's desktop: web Notifications (Electron's renderer has them too, but there the main
 * process notifies while the window is not watched: `hostNotifies`) and the window's toasts.
 */
export function browserDesktop(hostNotifies: boolean): NotifierDesktop {
  return {
    context: () => ({
      permission: hasNotifications() ? Notification.permission : 'unsupported',
      watching: document.visibilityState === 'visible' && document.hasFocus(),
      screen: location.hash.slice(1) || 'models',
      hostNotifies,
    }),
    show(notification) {
      if (notification.channel === 'toast') {
        useToastStore.getState().push({ title: notification.title, body: notification.body, tone: notification.failed ? 'bad' : 'ok', screen: 'switch' });
        return;
      }
      try {
        const shown = new Notification(notification.title, { body: notification.body, tag: notification.tag });
        shown.onclick = () => {
          window.focus();
          location.hash = 'switch';
        };
      } catch {
        // Some environments expose the constructor but refuse it (service-worker only): skip silently.
      }
    },
  };
}

/** Asks for permission once, from a user action (browsers ignore requests that are not). */
export function requestNotificationPermission(): void {
  if (!hasNotifications() || Notification.permission !== 'default') return;
  try {
    void Notification.requestPermission().catch(() => undefined);
  } catch {
    // Old callback-only implementations: nothing to do.
  }
}
