import type { LoadingMessageStyle } from '../../../shared/catalog-schema.js';
import type { Settings, SettingsPatch } from '../../../shared/switchboard-api.js';

/** The Settings form as typed. */
export interface SettingsDraft {
  loadingMessages: LoadingMessageStyle;
  drainTimeoutS: string;
  readyTimeoutS: string;
  stopTimeoutS: string;
  /** Watts separated by commas, e.g. "250, 300, 350". */
  presetsW: string;
}

export type SettingsDraftField = keyof SettingsDraft;

export function draftFromSettings(settings: Settings): SettingsDraft {
  return {
    loadingMessages: settings.router.loadingMessages,
    drainTimeoutS: String(settings.backend.drainTimeoutS),
    readyTimeoutS: String(settings.backend.readyTimeoutS),
    stopTimeoutS: String(settings.backend.stopTimeoutS),
    presetsW: settings.gpu.presetsW.join(', '),
  };
}

/** The patch with only the fields that differ from `settings`, and the fields whose text is not valid. */
export function settingsPatchOf(settings: Settings, draft: SettingsDraft): { patch: SettingsPatch; issues: Partial<Record<SettingsDraftField, string>> } {
  const issues: Partial<Record<SettingsDraftField, string>> = {};
  const patch: SettingsPatch = {};
  if (draft.loadingMessages !== settings.router.loadingMessages) patch.router = { loadingMessages: draft.loadingMessages };
  const backend: NonNullable<SettingsPatch['backend']> = {};
  for (const field of ['drainTimeoutS', 'readyTimeoutS', 'stopTimeoutS'] as const) {
    const text = draft[field].trim();
    const value = Number(text);
    const min = field === 'drainTimeoutS' ? 0 : Number.MIN_VALUE;
    if (text === '' || !Number.isFinite(value) || value < min) {
      issues[field] = field === 'drainTimeoutS' ? 'seconds, 0 or more' : 'seconds, more than 0';
    } else if (value !== settings.backend[field]) backend[field] = value;
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
