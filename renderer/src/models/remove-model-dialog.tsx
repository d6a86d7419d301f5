import { useStore } from 'zustand';
import { Dialog } from '../shell/dialog.js';
import type { CatalogStore } from './catalog-store.js';
import { DiffView } from './diff-view.js';

/** Confirms removing a model from the catalog, with the lines that would go. */
export function RemoveModelDialog({ store }: { store: CatalogStore }) {
  const removal = useStore(store, (s) => s.removal);
  const { confirmRemove, cancelRemove, load } = store.getState();
  if (!removal) return null;
  return (
    <Dialog title={`Remove ${removal.id}?`} onClose={cancelRemove} testId="remove-model">
      <p>The entry is removed from the catalog file. The model's files on disk are not touched.</p>
      {removal.preview && <DiffView diff={removal.preview.diff} label="Lines removed" />}
      {removal.preview && !removal.preview.ok && (
        <ul className="issue-list" aria-label="Why it cannot be removed">
          {removal.preview.issues
            .filter((i) => i.severity === 'error')
            .map((issue, i) => (
              <li key={i} className="issue issue-error">
                {issue.message}
              </li>
            ))}
        </ul>
      )}
      {removal.error && (
        <div className="notice notice-bad" role="alert">
          <p>{removal.conflict ? 'The catalog file changed on disk since it was read. Reload it and try again.' : removal.error}</p>
          {removal.conflict && (
            <button type="button" onClick={() => void load().then(() => store.getState().startRemove(removal.id))}>
              Reload catalog
            </button>
          )}
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={cancelRemove}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={removal.busy || removal.conflict || removal.preview?.ok === false} onClick={() => void confirmRemove()}>
          Remove
        </button>
      </div>
    </Dialog>
  );
}
