import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import { useEngineStore } from '../engine/engine-store.js';
import { requestNotificationPermission } from '../switch/switch-notifier.js';
import { ImportScriptsDialog } from './import-scripts-dialog.js';
import { ModelFormDialog } from './model-form-dialog.js';
import { ModelTable } from './model-table.js';
import { isBusyWith } from './models-store.js';
import { appModelsStores, type ModelsStores } from './models-stores.js';
import { QueuePanel } from './queue-panel.js';
import { RemoveModelDialog } from './remove-model-dialog.js';

const NO_ISSUES: CatalogIssue[] = [];

/** The catalog with each model's state and slot; switch, unload, stop all, add/edit/remove models, import start scripts; the queue. */
export function ModelsScreen({ stores = appModelsStores() }: { stores?: ModelsStores }) {
  const state = useEngineStore((s) => s.state);
  const busy = useStore(stores.actions, (s) => s.busy);
  const actionError = useStore(stores.actions, (s) => s.actionError);
  const saved = useStore(stores.form, (s) => s.saved);
  const imported = useStore(stores.importScripts, (s) => s.imported);
  const catalogIssues = useStore(stores.catalog, (s) => s.document?.issues ?? NO_ISSUES);
  const fits = useStore(stores.actions, (s) => s.fits);
  // The fit verdict of each launchable model, asked again when the set of models or of loaded (or sleeping) ones changes.
  const fitKey = state ? state.models.map((m) => `${m.id}:${m.kind}:${m.status === 'loaded' ? 1 : m.status === 'sleeping' ? 2 : 0}`).join(',') : '';
  useEffect(() => {
    for (const entry of fitKey.split(',')) {
      const [id, kind] = entry.split(':');
      if (id && kind === 'launch') void stores.actions.getState().refreshFit(id);
    }
  }, [fitKey, stores]);
  useEffect(() => {
    if (!stores.catalog.getState().document) void stores.catalog.getState().load();
  }, [stores]);
  const allIdle = !state || state.slots.every((s) => s.status === 'stopped' && !s.pending);
  const stopping = isBusyWith(busy, 'stop');
  return (
    <section className="screen" aria-labelledby="models-title">
      <div className="screen-head">
        <h1 id="models-title" className="screen-title">
          Models
        </h1>
        <div className="toolbar">
          <button type="button" onClick={() => void stores.form.getState().openAdd()}>
            Add model
          </button>
          <button type="button" onClick={() => stores.importScripts.getState().openDialog()}>
            Import scripts
          </button>
          <button type="button" title="Stop every loaded model (all slots)" disabled={allIdle || stopping} onClick={() => void stores.actions.getState().stop()}>
            {stopping ? 'Stopping…' : 'Stop all'}
          </button>
        </div>
      </div>
      {actionError && (
        <div className="notice notice-bad" role="alert" data-testid="action-error">
          <p>
            {actionError.pinned.length > 0 && <strong>Pinned: {actionError.pinned.join(', ')}. </strong>}
            {actionError.message}
          </p>
          {actionError.forceModel !== undefined && (
            <button type="button" data-testid="force-switch" onClick={() => void stores.actions.getState().switchTo(actionError.forceModel!, { force: true })}>
              Switch anyway
            </button>
          )}
          <button type="button" className="link" onClick={stores.actions.getState().clearError}>
            Dismiss
          </button>
        </div>
      )}
      {saved && (
        <p className="notice notice-ok" role="status">
          Saved {saved.id}.{saved.restartRequired.length > 0 && ` Restart the engine to apply: ${saved.restartRequired.join(', ')}.`}
        </p>
      )}
      {imported && (
        <p className="notice notice-ok" role="status">
          Imported {imported.length > 0 ? imported.join(', ') : 'nothing new'}.
        </p>
      )}
      {!state ? (
        <p className="dim">Waiting for the engine state…</p>
      ) : (
        <>
          <ModelTable
            state={state}
            busy={busy}
            fits={fits}
            actions={{
              onSwitch: (id) => {
                requestNotificationPermission();
                void stores.actions.getState().switchTo(id);
              },
              onUnload: (id) => void stores.actions.getState().unload(id),
              onEdit: (id) => void stores.form.getState().openEdit(id),
              onRemove: (id) => void stores.catalog.getState().startRemove(id),
            }}
          />
          <QueuePanel state={state} />
        </>
      )}
      {catalogIssues.length > 0 && (
        <ul className="issue-list" aria-label="Catalog warnings">
          {catalogIssues.map((issue, i) => (
            <li key={i} className={`issue issue-${issue.severity}`}>
              {issue.field}: {issue.message}
            </li>
          ))}
        </ul>
      )}
      <ModelFormDialog store={stores.form} />
      <RemoveModelDialog store={stores.catalog} />
      <ImportScriptsDialog store={stores.importScripts} />
    </section>
  );
}
