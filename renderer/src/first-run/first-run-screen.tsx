import { useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import type { EngineSetup } from '../../../shared/engine-state.js';
import { apiHub, type ApiHub } from '../api/api-hub.js';
import { errorMessage } from '../models/api-errors.js';
import { DiffView } from '../models/diff-view.js';
import { ImportReports } from '../models/import-scripts-dialog.js';
import { ModelFormDialog } from '../models/model-form-dialog.js';
import { appModelsStores, type ModelsStores } from '../models/models-stores.js';
import './first-run.css';

/**
 * What the app shows while the engine runs without a catalog file: three ways to a first catalog.
 * Importing start scripts and adding a model write the file through the engine, which takes the models
 * live and leaves setup mode (the app then shows the Models screen); the simulated host restarts the
 * engine on the demo catalog (the connection banner covers the reconnect). The Models screen's stores
 * are used, so it greets the user with what was just imported or saved.
 */
export function FirstRunScreen({ setup, stores = appModelsStores(), hub }: { setup: EngineSetup; stores?: ModelsStores; hub?: ApiHub }) {
  // The engine after a simulated-host restart is another one: the catalog the stores hold is not its file.
  useEffect(() => () => void stores.catalog.getState().load(), [stores]);
  return (
    <section className="screen first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <div className="screen-head">
        <h1 id="first-run-title" className="screen-title">
          Welcome to SGLang Switchboard
        </h1>
      </div>
      <p>
        There is no catalog yet, so the engine has no models to serve. It will be written to <code data-testid="first-run-path">{setup.catalogPath}</code>. Start in one of these ways:
      </p>
      <div className="first-run-choices">
        <ImportChoice stores={stores} />
        <AddModelChoice stores={stores} />
        <SimulatedHostChoice hub={hub} />
      </div>
      <ModelFormDialog store={stores.form} />
    </section>
  );
}

function ImportChoice({ stores }: { stores: ModelsStores }) {
  const s = useStore(stores.importScripts);
  const titleId = useId();
  const fieldId = useId();
  const count = s.result?.added.length ?? 0;
  return (
    <article className="panel first-run-choice" aria-labelledby={titleId} data-testid="first-run-import">
      <h2 id={titleId} className="section-title">
        Import start scripts
      </h2>
      <p className="dim">You start SGLang with shell scripts today? Each script becomes a catalog entry with the same model, GPUs and flags.</p>
      <form
        className="first-run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s.preview();
        }}
      >
        <label htmlFor={fieldId}>Folder or script paths on the engine host, one per line</label>
        <textarea
          id={fieldId}
          rows={2}
          spellCheck={false}
          placeholder={'/opt/sglang\n/opt/sglang/start_sglang_mistral.sh'}
          value={s.pathsText}
          onChange={(e) => s.setPaths(e.target.value)}
          data-testid="first-run-import-paths"
        />
        <span className="field-hint">A folder imports its start_sglang_*.sh files. Nothing is written before you press Import.</span>
        <div className="first-run-actions">
          <button type="submit" disabled={s.busy || s.pathsText.trim() === ''}>
            {s.result ? 'Preview again' : 'Preview'}
          </button>
          {s.result && (
            <button type="button" className="primary" disabled={s.busy || s.conflict || count === 0 || !s.result.preview.ok} onClick={() => void s.apply()}>
              Import {count} model{count === 1 ? '' : 's'}
            </button>
          )}
        </div>
      </form>
      {s.result && <ImportReports reports={s.result.reports} skipped={s.result.skipped} />}
      {s.result && s.result.preview.issues.some((i) => i.severity === 'error') && (
        <ul className="issue-list" aria-label="Catalog errors">
          {s.result.preview.issues
            .filter((i) => i.severity === 'error')
            .map((issue, i) => (
              <li key={i} className="issue issue-error">
                {issue.field}: {issue.message}
              </li>
            ))}
        </ul>
      )}
      {s.result && <DiffView diff={s.result.preview.diff} label="The new catalog" />}
      {s.error && (
        <div className="notice notice-bad" role="alert">
          <p>{s.error}</p>
        </div>
      )}
    </article>
  );
}

function AddModelChoice({ stores }: { stores: ModelsStores }) {
  const titleId = useId();
  const loadError = useStore(stores.catalog, (c) => c.loadError);
  return (
    <article className="panel first-run-choice" aria-labelledby={titleId} data-testid="first-run-add">
      <h2 id={titleId} className="section-title">
        Add a model
      </h2>
      <p className="dim">Describe one model — its folder or Hugging Face id, tensor parallelism, GPUs. Each field is checked as you type, and you review the catalog before it is written.</p>
      <div className="first-run-actions">
        <button type="button" className="primary" onClick={() => void stores.form.getState().openAdd()}>
          Add a model
        </button>
      </div>
      {loadError && (
        <div className="notice notice-bad" role="alert">
          <p>Cannot read the catalog: {loadError}</p>
        </div>
      )}
    </article>
  );
}

type SimulatedHostStep = { kind: 'idle' } | { kind: 'starting' } | { kind: 'restarting'; configPath: string } | { kind: 'failed'; message: string };

function SimulatedHostChoice({ hub }: { hub?: ApiHub }) {
  const [step, setStep] = useState<SimulatedHostStep>({ kind: 'idle' });
  const titleId = useId();
  async function start() {
    setStep({ kind: 'starting' });
    try {
      const result = await (hub ?? apiHub()).call('setup.startSimulatedHost', {});
      setStep({ kind: 'restarting', configPath: result.configPath });
    } catch (err) {
      setStep({ kind: 'failed', message: errorMessage(err) });
    }
  }
  const busy = step.kind === 'starting' || step.kind === 'restarting';
  return (
    <article className="panel first-run-choice" aria-labelledby={titleId} data-testid="first-run-simulated">
      <h2 id={titleId} className="section-title">
        Try the simulated host
      </h2>
      <p className="dim">
        No GPU server at hand? Run the engine on a simulated one: three models served by the SGLang simulator on six simulated RTX 3090s. Nothing real is loaded, and your catalog stays unwritten.
      </p>
      <div className="first-run-actions">
        <button type="button" disabled={busy} onClick={() => void start()}>
          {step.kind === 'starting' ? 'Preparing the simulated host…' : 'Try the simulated host'}
        </button>
      </div>
      <div aria-live="polite">
        {step.kind === 'restarting' && (
          <p className="notice notice-ok" role="status" data-testid="first-run-restarting">
            Restarting on the simulated host… The app reconnects by itself.
          </p>
        )}
      </div>
      {step.kind === 'failed' && (
        <div className="notice notice-bad" role="alert" data-testid="first-run-simulated-error">
          <p>{step.message}</p>
        </div>
      )}
    </article>
  );
}
