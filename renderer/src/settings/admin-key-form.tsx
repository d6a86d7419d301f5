import { useStore } from 'zustand';
import { useBrowserAccess, type BrowserAccessStatus } from '../api/browser-access-store.js';
import type { SettingsStore } from './settings-store.js';

const WHERE_KEYS_ARE = "one of router.adminKeys, or the admin token file (admin-token in the engine's state dir; switchboard serve prints its path)";

/**
 * The browser view's admin key: typed here, kept in this browser, sent by the WebSocket at each
 * connect. Usable while the engine refuses this browser, since that is when it is needed.
 */
export function AdminKeyForm({ store }: { store: SettingsStore }) {
  const s = useStore(store);
  const status = useBrowserAccess((a) => a.status);
  const hint = adminKeyHint(status, s.adminKeySaved);
  return (
    <form
      className="form-field"
      aria-label="Admin key"
      onSubmit={(e) => {
        e.preventDefault();
        s.saveAdminKey();
      }}
    >
      <label htmlFor="settings-adminKey">Admin key (browser view)</label>
      <div className="inline-row">
        <input
          id="settings-adminKey"
          type="password"
          autoComplete="off"
          spellCheck={false}
          aria-describedby="settings-adminKey-note"
          aria-invalid={status === 'key-refused'}
          value={s.adminKey}
          onChange={(e) => s.setAdminKey(e.target.value)}
          data-testid="admin-key-input"
        />
        <button type="submit" data-testid="admin-key-save">
          Save key
        </button>
      </div>
      <span id="settings-adminKey-note" className={hint.isProblem ? 'issue issue-error' : 'field-hint'} aria-live="polite" data-testid="admin-key-hint">
        {hint.text}
      </span>
    </form>
  );
}

/** What the field says under it: whether a key is needed here and whether the saved one works. */
export function adminKeyHint(status: BrowserAccessStatus, justSaved: boolean): { text: string; isProblem: boolean } {
  switch (status) {
    case 'local-user':
      return { text: "Not needed here: this browser runs as the engine's user on its machine, so the engine gave it its admin token.", isProblem: false };
    case 'key-refused':
      return { text: `The engine refused the saved key. Use ${WHERE_KEYS_ARE}.`, isProblem: true };
    case 'admin-key':
      return { text: justSaved ? 'Saved in this browser; the engine accepted it.' : 'The engine accepts the key saved in this browser.', isProblem: false };
    case 'checking':
      if (justSaved) return { text: 'Saved in this browser; checking it with the engine…', isProblem: false };
  }
  const lead = justSaved ? 'Saved in this browser. ' : '';
  return {
    text: `${lead}Needed only when this browser is not the engine's user on its machine (another user, another machine): ${WHERE_KEYS_ARE}. Kept in this browser only.`,
    isProblem: false,
  };
}
