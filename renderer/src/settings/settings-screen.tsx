import { useEffect, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { LOADING_MESSAGE_STYLES } from '../../../shared/catalog-constants.js';
import type { LoadingMessageStyle } from '../../../shared/catalog-schema.js';
import { apiHub } from '../api/api-hub.js';
import { useEngineStore } from '../engine/engine-store.js';
import { ThemeChoiceGroup } from '../shell/theme-toggle.js';
import { AdminKeyForm } from './admin-key-form.js';
import { appSettingsStore, type SettingsStore } from './settings-store.js';
import { sleepSettingsOf, type SettingsDraftField, type SleepSettings } from './settings-draft.js';

const STYLE_LABELS: Record<LoadingMessageStyle, string> = {
  content: 'content — visible text in the chat',
  reasoning: 'reasoning — in the thinking box',
  comment: 'comment — invisible SSE comments',
  none: 'none — no status while loading',
};

/** The text fields: name, label, hint. */
const TEXT_FIELDS = [
  ['drainTimeoutS', 'Drain timeout (s)', 'how long a switch waits for in-flight requests'],
  ['readyTimeoutS', 'Ready timeout (s)', 'how long a load may take before it counts as failed'],
  ['stopTimeoutS', 'Stop timeout (s)', 'SIGTERM, then SIGKILL after this'],
  ['maxSleepers', 'Warm models asleep at once', 'beyond this, warm models are stopped instead; 0: never sleep'],
  ['sleepTimeoutS', 'Sleep/wake timeout (s)', 'how long putting a warm model to sleep or waking it may take before it is stopped (next load cold)'],
  ['presetsW', 'Power presets (W)', 'one-click limits for all GPUs, e.g. 250, 300, 350'],
] as const satisfies readonly (readonly [Exclude<SettingsDraftField, 'loadingMessages'>, string, string])[];

/** The warm-switch fields show only when the engine reports them. */
function shownField(field: SettingsDraftField, sleep: SleepSettings): boolean {
  if (field === 'maxSleepers' || field === 'sleepTimeoutS') return sleep[field] !== undefined;
  return true;
}

/** Engine settings (loading messages, timeouts, warm switching, power presets), the browser view's admin key, the theme. */
export function SettingsScreen({ store = appSettingsStore(), transportKind = apiHub().transport.kind }: { store?: SettingsStore; transportKind?: 'ipc' | 'websocket' }) {
  const s = useStore(store);
  const { settings, draft } = s;
  const sleep = settings ? sleepSettingsOf(settings) : {};
  const isConnected = useEngineStore((e) => e.connection === 'open');
  // Read again once connected: a first try fails while the engine is down or refuses this browser.
  useEffect(() => {
    if (store.getState().settings === null) void store.getState().load();
  }, [store, isConnected]);
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title" className="screen-title">
        Settings
      </h1>
      {s.loadError && (
        <p className="notice notice-bad" role="alert">
          Could not read the settings: {s.loadError}
        </p>
      )}
      {!settings && !s.loadError && (
        <p className="dim" data-testid="settings-waiting">
          The engine settings appear once this window is connected to the engine.
        </p>
      )}
      {settings && draft && (
        <form
          className="panel settings-form"
          aria-label="Engine settings"
          onSubmit={(e) => {
            e.preventDefault();
            void s.save();
          }}
        >
          <h2 className="section-title">Engine</h2>
          <p className="dim">
            {settings.configPath} · engine {settings.version} · router {settings.router.host}:{settings.router.port} · {settings.backend.kind} backend
            {settings.backend.unit ? ` (${settings.backend.unit})` : ''}
          </p>
          <Field name="loadingMessages" label="Router loading messages" issue={undefined}>
            <select id="settings-loadingMessages" value={draft.loadingMessages} onChange={(e) => s.setField('loadingMessages', e.target.value as LoadingMessageStyle)}>
              {LOADING_MESSAGE_STYLES.map((style) => (
                <option key={style} value={style}>
                  {STYLE_LABELS[style]}
                </option>
              ))}
            </select>
          </Field>
          {TEXT_FIELDS.filter(([field]) => shownField(field, sleep)).map(([field, label, hint]) => (
            <Field key={field} name={field} label={label} hint={hint} issue={s.issues[field]}>
              <input
                id={`settings-${field}`}
                type="text"
                inputMode="decimal"
                autoComplete="off"
                aria-invalid={s.issues[field] !== undefined}
                aria-describedby={`settings-${field}-note`}
                value={draft[field]}
                onChange={(e) => s.setField(field, e.target.value)}
              />
            </Field>
          ))}
          <div className="dialog-actions">
            <span aria-live="polite" className="dim" data-testid="settings-result">
              {s.saveError
                ? `Not saved: ${s.saveError}`
                : s.restartRequired === null
                  ? ''
                  : s.restartRequired.length > 0
                    ? `Saved. Restart the engine to apply: ${s.restartRequired.join(', ')}.`
                    : 'Saved and applied.'}
            </span>
            <button type="submit" className="primary" disabled={s.saving || !s.canSave()}>
              {s.saving ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        </form>
      )}
      <section className="panel settings-window" aria-labelledby="settings-browser">
        <h2 id="settings-browser" className="section-title">
          This window
        </h2>
        <div className="form-field">
          <span className="field-label" id="theme-label">
            Theme
          </span>
          <ThemeChoiceGroup />
        </div>
        {transportKind === 'websocket' && <AdminKeyForm store={store} />}
      </section>
    </section>
  );
}

function Field({ name, label, hint, issue, children }: { name: SettingsDraftField; label: string; hint?: string; issue: string | undefined; children: ReactNode }) {
  return (
    <div className={`form-field${issue ? ' has-error' : ''}`}>
      <label htmlFor={`settings-${name}`}>{label}</label>
      {children}
      <span id={`settings-${name}-note`} className={issue ? 'issue issue-error' : 'field-hint'}>
        {issue ?? hint}
      </span>
    </div>
  );
}
