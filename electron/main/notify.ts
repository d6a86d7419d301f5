import { Notification } from 'electron';
import type { LoadNotice } from './load-notification.js';

// Notifications are kept until closed: one collected by the GC loses its click handler.
const shown = new Set<Notification>();

/** Shows `notice` as a native notification (when the desktop has a notification daemon). */
export function showNotice(notice: LoadNotice, iconPath: string, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title: notice.title, body: notice.body, icon: iconPath, urgency: notice.failed ? 'critical' : 'normal' });
  shown.add(notification);
  notification.on('click', onClick);
  notification.on('close', () => shown.delete(notification));
  notification.show();
}
