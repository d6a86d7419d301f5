/** Where the browser view keeps the router API key (main.tsx hands it to the WebSocket transport at each connect). */
export const API_KEY_STORAGE_KEY = 'switchboard.apiKey';

/** The part of Storage the key needs (localStorage in the app, a Map-backed fake in tests). */
export type KeyStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function defaultKeyStorage(): KeyStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
