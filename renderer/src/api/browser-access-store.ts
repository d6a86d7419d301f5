import { create } from 'zustand';

/**
 * How the browser view gets into the engine's admin API, as the last `/api/session` answer said:
 * - `not-needed`: the desktop app (IPC), no key involved;
 * - `checking`: asking the engine;
 * - `local-user`: the engine handed over its admin token (this browser runs as its user on its machine);
 * - `admin-key`: the key saved in this browser is accepted;
 * - `needs-key`: no token for this browser and no key saved; `key-refused`: the saved key is wrong;
 * - `engine-down`: the engine did not answer at all;
 * - `forbidden`: the engine refuses this page (Host name or origin), `message` says why;
 * - `unknown`: some other answer (an older engine without /api/session); the saved key is tried.
 */
export type BrowserAccessStatus = 'not-needed' | 'checking' | 'local-user' | 'admin-key' | 'needs-key' | 'key-refused' | 'engine-down' | 'forbidden' | 'unknown';

export interface BrowserAccessState {
  status: BrowserAccessStatus;
  /** The engine's own words for `forbidden` and `unknown`; null otherwise. */
  message: string | null;
}

/** The browser view's access, app-wide (the connection banner and Settings read it; main.tsx's key source writes it). */
export const useBrowserAccess = create<BrowserAccessState>()(() => ({ status: 'not-needed', message: null }));

/** True when the engine answers but will not let this browser in until a (right) admin key is saved. */
export function isKeyMissing(status: BrowserAccessStatus): boolean {
  return status === 'needs-key' || status === 'key-refused';
}
