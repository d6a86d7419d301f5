import type { LoadingMessageStyle } from '../../../shared/catalog-schema.js';
import type { Settings, SettingsPatch } from '../../../shared/switchboard-api.js';

/**
 * The warm-switch backend settings (catalog `backend.maxSleepers`, `backend.sleepTimeoutS`). Optional
 * here: an engine that does not report them (older, or before `Settings` carries them) shows no
 * fields for them and is sent none.
 */
export interface SleepSettings {
  maxSleepers?: number;
  sleepTimeoutS?: number;
}

type BackendSettings = Settings['backend'] & SleepSettings;
type BackendPatch = NonNullable<SettingsPatch['backend']> & SleepSettings;

/** The most warm models asleep at once the catalog allows (backendSettingsSchema). */
const MAX_SLEEPERS_LIMIT = 16;

/** The Settings form as typed. */
export interface SettingsDraft {
  loadingMessages: LoadingMessageStyle;
  drainTimeoutS: string;
  readyTimeoutS: string;
  stopTimeoutS: string;
  /** Warm models asleep at once; "" when the engine does not report it. */
  maxSleepers: string;
  /** Seconds a sleep or wake may take before the server is stopped; "" when the engine does not report it. */
  sleepTimeoutS: string;
  /** Watts separated by commas, e.g. "250, 300, 350". */
  presetsW: string;
}

export type SettingsDraftField = keyof SettingsDraft;

/** The warm-switch settings the engine reports (absent ones are not shown or sent). */
export function sleepSettingsOf(settings: Settings): SleepSettings {
  const backend: BackendSettings = settings.backend;
  return {
    ...(backend.maxSleepers === undefined ? {} : { maxSleepers: backend.maxSleepers }),
    ...(backend.sleepTimeoutS === undefined ? {} : { sleepTimeoutS: backend.sleepTimeoutS }),
  };
}

export function draftFromSettings(settings: Settings): SettingsDraft {
  const sleep = sleepSettingsOf(settings);
  return {
    loadingMessages: settings.router.loadingMessages,
    drainTimeoutS: String(settings.backend.drainTimeoutS),
    readyTimeoutS: String(settings.backend.readyTimeoutS),
    stopTimeoutS: String(settings.backend.stopTimeoutS),
    maxSleepers: sleep.maxSleepers === undefined ? '' : String(sleep.maxSleepers),
    sleepTimeoutS: sleep.sleepTimeoutS === undefined ? '' : String(sleep.sleepTimeoutS),
    presetsW: settings.gpu.presetsW.join(', '),
  };
}

/** The patch with only the fields that differ from `settings`, and the fields whose text is not valid. */
export function settingsPatchOf(settings: Settings, draft: SettingsDraft): { patch: SettingsPatch; issues: Partial<Record<SettingsDraftField, string>> } {
  const issues: Partial<Record<SettingsDraftField, string>> = {};
  const patch: SettingsPatch = {};
  if (draft.loadingMessages !== settings.router.loadingMessages) patch.router = { loadingMessages: draft.loadingMessages };
  const backend: BackendPatch = {};
  for (const field of ['drainTimeoutS', 'readyTimeoutS', 'stopTimeoutS'] as const) {
    const text = draft[field].trim();
    const value = Number(text);
    const min = field === 'drainTimeoutS' ? 0 : Number.MIN_VALUE;
    if (text === '' || !Number.isFinite(value) || value < min) {
      issues[field] = field === 'drainTimeoutS' ? 'seconds, 0 or more' : 'seconds, more than 0';
    } else if (value !== settings.backend[field]) backend[field] = value;
  }
  const sleep = sleepSettingsOf(settings);
  if (sleep.maxSleepers !== undefined) {
    const text = draft.maxSleepers.trim();
    if (!/^\d+$/.test(text) || Number(text) > MAX_SLEEPERS_LIMIT) issues.maxSleepers = `a whole number, 0–${MAX_SLEEPERS_LIMIT} (0: warm models stop like cold ones)`;
    else if (Number(text) !== sleep.maxSleepers) backend.maxSleepers = Number(text);
  }
  if (sleep.sleepTimeoutS !== undefined) {
    const text = draft.sleepTimeoutS.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value <= 0) issues.sleepTimeoutS = 'seconds, more than 0';
    else if (value !== sleep.sleepTimeoutS) backend.sleepTimeoutS = value;
  }
  if (Object.keys(backend).length > 0) patch.backend = backend;
  const words = draft.presetsW.split(/[\s,]+/).filter(Boolean);
  if (!words.every((w) => /^\d+$/.test(w) && Number(w) > 0)) issues.presetsW = 'whole watts separated by commas, e.g. 250, 300, 350';
  else {
    const presetsW = words.map(Number);
    if (presetsW.join(',') !== settings.gpu.presetsW.join(',')) patch.gpu = { presetsW };
  }
  return { patch, issues };
}
