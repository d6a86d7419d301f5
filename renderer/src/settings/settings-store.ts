import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Settings } from '../../../shared/switchboard-api.js';
import type { ApiHub } from '../api/api-hub.js';
import { storeForHub } from '../engine/store-for-hub.js';
import { appAdminKeyStorage, type AdminKeyStorage } from './admin-key-storage.js';
import { draftFromSettings, settingsPatchOf, type SettingsDraft, type SettingsDraftField } from './settings-draft.js';

export interface SettingsState {
  settings: Settings | null;
  loadError: string | null;
  draft: SettingsDraft | null;
  issues: Partial<Record<SettingsDraftField, string>>;
  saving: boolean;
  saveError: string | null;
  /** After a save: the settings that need an engine restart (empty = all applied). */
  restartRequired: string[] | null;
  /** The admin key field of the browser view (what is typed, saved or not). */
  adminKey: string;
  /** True from saving the key until it is edited again. */
  adminKeySaved: boolean;
  load(): Promise<void>;
  setField<K extends SettingsDraftField>(field: K, value: SettingsDraft[K]): void;
  /** True when the draft differs from the settings and is valid. */
  canSave(): boolean;
  save(): Promise<void>;
  setAdminKey(key: string): void;
  /** Saves the typed key in this browser; the connection picks it up at once when it is waiting for one. */
  saveAdminKey(): void;
}

export type SettingsStore = StoreApi<SettingsState>;

/** The Settings screen: engine settings (`settings.get` / `settings.update`) and the browser's admin key. */
export function createSettingsStore(hub: ApiHub, keys: AdminKeyStorage = appAdminKeyStorage()): SettingsStore {
  return createStore<SettingsState>()((set, get) => ({
    settings: null,
    loadError: null,
    draft: null,
    issues: {},
    saving: false,
    saveError: null,
    restartRequired: null,
    adminKey: keys.getState().key,
    adminKeySaved: false,
    async load() {
      try {
        const settings = await hub.call('settings.get', {});
        set({ settings, draft: draftFromSettings(settings), issues: {}, loadError: null });
      } catch (err) {
        set({ loadError: err instanceof Error ? err.message : String(err) });
      }
    },
    setField(field, value) {
      const { settings, draft } = get();
      if (!settings || !draft) return;
      const next = { ...draft, [field]: value };
      set({ draft: next, issues: settingsPatchOf(settings, next).issues, restartRequired: null, saveError: null });
    },
    canSave() {
      const { settings, draft } = get();
      if (!settings || !draft) return false;
      const { patch, issues } = settingsPatchOf(settings, draft);
      return Object.keys(issues).length === 0 && Object.keys(patch).length > 0;
    },
    async save() {
      const { settings, draft } = get();
      if (!settings || !draft || !get().canSave()) return;
      set({ saving: true, saveError: null });
      try {
        const result = await hub.call('settings.update', { patch: settingsPatchOf(settings, draft).patch });
        const fresh = await hub.call('settings.get', {});
        set({ saving: false, restartRequired: result.restartRequired, settings: fresh, draft: draftFromSettings(fresh), issues: {} });
      } catch (err) {
        set({ saving: false, saveError: err instanceof Error ? err.message : String(err) });
      }
    },
    setAdminKey(adminKey) {
      set({ adminKey, adminKeySaved: false });
    },
    saveAdminKey() {
      keys.getState().save(get().adminKey);
      set({ adminKey: keys.getState().key, adminKeySaved: true });
    },
  }));
}

/** The app-wide instance. */
export const appSettingsStore = storeForHub((hub) => createSettingsStore(hub));
