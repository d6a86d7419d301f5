import { useStore } from 'zustand';
import type { ImportReport } from '../../../shared/switchboard-api.js';
import { Dialog } from '../shell/dialog.js';
import { DiffView } from './diff-view.js';
import type { ImportScriptsStore } from './import-scripts-store.js';

/** Import start scripts: paths on the engine host or uploaded .sh files, a dry run (notes per script + diff), then Import. */
export function ImportScriptsDialog({ store }: { store: ImportScriptsStore }) {
  const s = useStore(store);
  if (!s.open) return null;
  async function onFiles(files: FileList | null) {
    if (!files) return;
    s.addUploads(await Promise.all([...files].map(async (file) => ({ name: file.name, text: await readText(file) }))));
  }
  return (
    <Dialog title="Import start scripts" onClose={s.close} wide testId="import-scripts">
      <div className="form-grid">
        <div className="form-field">
          <label htmlFor="import-paths">Paths on the engine host (one per line)</label>
          <textarea id="import-paths" rows={3} spellCheck={false} placeholder={'/opt/sglang\n/opt/sglang/start_sglang_mistral.sh'} value={s.pathsText} onChange={(e) => s.setPaths(e.target.value)} />
          <span className="field-hint">A folder imports its start_sglang_*.sh files.</span>
        </div>
        <div className="form-field">
          <label htmlFor="import-files">Or upload scripts</label>
          <input id="import-files" type="file" accept=".sh,text/x-shellscript,text/plain" multiple onChange={(e) => void onFiles(e.target.files)} />
          {s.uploads.length > 0 && (
            <ul className="upload-list" aria-label="Uploaded scripts">
              {s.uploads.map((u) => (
                <li key={u.name}>
                  {u.name}{' '}
                  <button type="button" className="link" aria-label={`Remove ${u.name}`} onClick={() => s.removeUpload(u.name)}>
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {s.result && <ImportReports reports={s.result.reports} skipped={s.result.skipped} />}
      {s.result && <DiffView diff={s.result.preview.diff} />}
      {s.error && (
        <div className="notice notice-bad" role="alert">
          <p>{s.error}</p>
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={s.close}>
          Cancel
        </button>
        <button type="button" disabled={s.busy} onClick={() => void s.preview()}>
          {s.result ? 'Preview again' : 'Preview'}
        </button>
        <button type="button" className="primary" disabled={s.busy || !s.result || s.conflict || s.result.added.length === 0 || !s.result.preview.ok} onClick={() => void s.apply()}>
          Import {s.result ? `${s.result.added.length} model${s.result.added.length === 1 ? '' : 's'}` : ''}
        </button>
      </div>
    </Dialog>
  );
}

/** What each script gave (its entry id and notes) and the entries skipped; the dialog and the first-run screen show it. */
export function ImportReports({ reports, skipped }: { reports: ImportReport[]; skipped: { id: string; reason: string }[] }) {
  return (
    <ul className="import-reports" aria-label="Import report">
      {reports.map((r) => (
        <li key={r.script} data-testid="import-report">
          <strong>{r.script}</strong> {r.id ? `→ ${r.id}` : '(not imported)'}
          {r.notes.length > 0 && (
            <ul>
              {r.notes.map((n, i) => (
                <li key={i} className={`issue issue-${n.severity}`}>
                  {n.line !== undefined ? `line ${n.line}: ` : ''}
                  {n.message}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
      {skipped.map((s) => (
        <li key={`skip-${s.id}`} className="issue issue-warning">
          {s.id} skipped: {s.reason}
        </li>
      ))}
    </ul>
  );
}

/** File.text() where present (browsers, Electron); FileReader otherwise. */
function readText(file: File): Promise<string> {
  if (typeof file.text === 'function') return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}
