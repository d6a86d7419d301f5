import { useStore } from 'zustand';
import { Dialog } from '../shell/dialog.js';
import { DiffView } from './diff-view.js';
import { placeIssues } from './field-issues.js';
import { FitEstimateNote } from './fit-verdict.js';
import type { ModelFormStore } from './model-form-store.js';
import { ModelFormFields } from './model-form-fields.js';

/** Add or edit a model: fields checked as you type, then "Review changes" (the YAML diff), then Save. */
export function ModelFormDialog({ store }: { store: ModelFormStore }) {
  const s = useStore(store);
  if (!s.open) return null;
  const placed = placeIssues(s.preview);
  const hasLocal = Object.keys(s.localIssues).length > 0;
  const changes = s.preview?.diff.some((d) => d.kind !== 'same') ?? false;
  const title = s.mode === 'edit' ? `Edit ${s.editId}` : 'Add model';
  return (
    <Dialog title={title} onClose={s.close} wide testId="model-form">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (s.step === 'edit') void s.review();
          else void s.save();
        }}
      >
        {s.conflict && (
          <div className="notice notice-bad" role="alert" data-testid="catalog-conflict">
            <p>{s.saveError}</p>
            <button type="button" onClick={() => void s.reloadAfterConflict()}>
              Reload catalog
            </button>
          </div>
        )}
        {s.step === 'edit' ? (
          <>
            {placed.general.length > 0 && (
              <ul className="issue-list" aria-label="Catalog issues">
                {placed.general.map((issue, i) => (
                  <li key={i} className={`issue issue-${issue.severity}`}>
                    {issue.field}: {issue.message}
                  </li>
                ))}
              </ul>
            )}
            <ModelFormFields draft={s.draft} localIssues={s.localIssues} placed={placed} onChange={s.setField} />
            {s.preview?.fit && <FitEstimateNote fit={s.preview.fit} />}
            {s.previewError && <p className="issue issue-error">Could not check the model: {s.previewError}</p>}
          </>
        ) : (
          <>
            <p className="dim">These lines of {s.preview ? 'the catalog file' : 'the file'} will change:</p>
            {s.preview && <DiffView diff={s.preview.diff} />}
            {s.preview?.issues.some((i) => i.severity === 'warning') && (
              <ul className="issue-list" aria-label="Warnings">
                {s.preview.issues
                  .filter((i) => i.severity === 'warning')
                  .map((issue, i) => (
                    <li key={i} className="issue issue-warning">
                      {issue.field}: {issue.message}
                    </li>
                  ))}
              </ul>
            )}
            {s.saveError && !s.conflict && (
              <div className="notice notice-bad" role="alert">
                <p>{s.saveError}</p>
                {s.saveIssues.map((issue, i) => (
                  <p key={i} className="issue issue-error">
                    {issue.field}: {issue.message}
                  </p>
                ))}
              </div>
            )}
          </>
        )}
        <div className="dialog-actions">
          <span className="dim" aria-live="polite">
            {s.previewing ? 'Checking…' : s.preview && s.step === 'edit' ? (s.preview.ok ? 'Looks valid' : 'Fix the errors to continue') : ''}
          </span>
          <button type="button" onClick={s.close}>
            Cancel
          </button>
          {s.step === 'review' && (
            <button type="button" onClick={s.back}>
              Back
            </button>
          )}
          {s.step === 'edit' ? (
            <button type="submit" className="primary" disabled={hasLocal}>
              Review changes
            </button>
          ) : (
            <button type="submit" className="primary" disabled={s.saving || s.conflict || !changes}>
              {s.saving ? 'Saving…' : 'Save'}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
