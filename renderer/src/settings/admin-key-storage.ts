import { createStore, type StoreApi } from 'zustand/vanilla';

/** Where the browser view keeps the admin key typed under Settings. */
export const ADMIN_KEY_STORAGE_KEY = 'switchboard.adminKey';
/** The inference key older versions kept; it never opens the admin API, so it is dropped. */
export const LEGACY_API_KEY_STORAGE_KEY = 'switchboard.apiKey';

/** The part of Storage the key needs (localStorage in the app, a Map-backed fake in tests). */
export type KeyStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface AdminKeyState {
  /** The saved admin key; '' when none. */
  key: string;
  /** Counts saves, so a second try with the same key is still news. */
  revision: number;
  /** Saves `key` (trimmed; '' forgets it) in the browser and tells subscribers (the transport's key source). */
  save(key: string): void;
}

/** The admin key this browser saved, observable so a save reaches the connection at once. */
export type AdminKeyStorage = StoreApi<AdminKeyState>;

/** Reads the saved key from `storage` (and removes the legacy inference key from it). */
export function createAdminKeyStorage(storage: KeyStorage | null = defaultKeyStorage()): AdminKeyStorage {
  storage?.removeItem(LEGACY_API_KEY_STORAGE_KEY);
  return createStore<AdminKeyState>()((set) => ({
    key: storage?.getItem(ADMIN_KEY_STORAGE_KEY) ?? '',
    revision: 0,
    save(raw) {
      const key = raw.trim();
      if (key) storage?.setItem(ADMIN_KEY_STORAGE_KEY, key);
      else storage?.removeItem(ADMIN_KEY_STORAGE_KEY);
      set((state) => ({ key, revision: state.revision + 1 }));
    },
  }));
}

/** localStorage when the page may use it; null otherwise (then the key lives for this page only). */
export function defaultKeyStorage(): KeyStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

let appStorage: AdminKeyStorage | undefined;

/** The app-wide instance, shared by Settings and the browser's connection. */
export function appAdminKeyStorage(): AdminKeyStorage {
  appStorage ??= createAdminKeyStorage();
  return appStorage;
}
