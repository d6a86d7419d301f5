import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { modelEntrySchema, type Catalog, type CatalogIssue } from '../../../shared/catalog-schema.js';
import type { Topology } from '../../../shared/gpu-types.js';
import type { CatalogChange, CatalogChangePreview, CatalogChangeResult, CatalogDocument, ImportScriptsParams, ImportScriptsResult, Settings, SettingsPatch } from '../../../shared/switchboard-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { CatalogInvalidError } from './catalog-invalid-error.js';
import { settingsOf } from './catalog-settings.js';
import { collectStartScripts } from './collect-start-scripts.js';
import { diffCatalogText } from './diff-catalog-text.js';
import { canonical, draftCatalogChange, draftMerge, type CatalogDraft } from './draft-catalog-change.js';
import { fieldIssuesOf } from './field-issues-of.js';
import { parseCatalogText, type CatalogLoadResult } from './load-catalog.js';
import { writeCatalogFile } from './write-catalog.js';
import { LIVE_MODEL_FIELDS, LIVE_MODEL_FIELD_LIST } from './live-model-fields.js';

/** What the engine is doing with a model: the editor will not change how a busy model launches. */
export type ModelActivity = 'loaded' | 'loading' | 'queued';

export interface CatalogEditorOptions {
  path: string;
  /** Check model paths, scripts and config.json files (default true). */
  checkFiles?: boolean;
  /** The host's GPU topology, for the NVLink placement warnings (none when it gives null). */
  topology?: () => Topology | null | undefined | Promise<Topology | null | undefined>;
  /** The models the engine has loaded, is loading or has queued. */
  modelActivity?: () => ReadonlyMap<string, ModelActivity>;
  /** Hands a written catalog to the running engine; returns the settings that need a restart. */
  onApplied?: (catalog: Catalog, revision: string) => string[] | Promise<string[]>;
  /** The catalog the engine runs: settings come from it when the file cannot be read. */
  runningCatalog?: () => Catalog;
  /** Runs a write and its onApplied as one step (the catalog watcher's queue, so it does not read the file in between). */
  serializeWrite?: <T>(write: () => Promise<T>) => Promise<T>;
  /** The address beyond loopback the engine listens on: a save may not remove the last admin key. */
  exposedOn?: string;
}

interface Base {
  text: string;
  revision: string;
}

interface Plan {
  draft: CatalogDraft;
  preview: CatalogChangePreview;
  checked: CatalogLoadResult;
  /** Set when the change touches a busy model: apply refuses with it. */
  conflict?: EngineError;
}

/**
 * Reads, previews and writes the catalog file for the UI. Every change is a text edit of the file
 * (the rest of it kept byte for byte), checked like a catalog at load (files, TP, heads, NVLink) and
 * written atomically. Writes are serialized; `expectedRevision` refuses to overwrite someone else's
 * change. A model that is loaded, loading or queued cannot be removed, and an edit may then change
 * only its label, aliases and sampling (`conflict` otherwise: stop it or switch away first).
 */
export class CatalogEditor {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: CatalogEditorOptions) {}

  /** The file as it is, with its current issues. */
  async document(): Promise<CatalogDocument> {
    const base = await this.read();
    return this.toDocument(base, await this.check(base.text));
  }

  /** What `change` would do to the file; writes nothing. */
  async preview(change: CatalogChange): Promise<CatalogChangePreview> {
    const base = await this.read();
    return (await this.plan(base, draftCatalogChange(base.text, change))).preview;
  }

  /**
   * Writes `change` (see the class comment for the refusals). A change that leaves the text as it is
   * writes nothing and reports no restart.
   */
  apply(change: CatalogChange, expectedRevision?: string): Promise<CatalogChangeResult> {
    return this.exclusive(async () => {
      const base = await this.read();
      assertRevision(base, expectedRevision);
      return this.commit(base, await this.plan(base, draftCatalogChange(base.text, change)));
    });
  }

  /**
   * Turns start scripts into entries and previews them appended to the file; with `apply`, writes them
   * when the preview is ok (`applied` is then set). A stale `expectedRevision` is refused with `conflict`.
   */
  async importScripts(params: ImportScriptsParams): Promise<ImportScriptsResult> {
    const { entries, reports } = await collectStartScripts(params);
    const run = async (): Promise<ImportScriptsResult> => {
      const base = await this.read();
      if (params.apply) assertRevision(base, params.expectedRevision);
      const merged = draftMerge(base.text, entries);
      const plan = await this.plan(base, { text: merged.text, issues: [] });
      const result = { reports, added: merged.added, skipped: merged.skipped, preview: plan.preview };
      // Nothing new, or a result with errors: the reports and the preview say why; nothing is written.
      if (!params.apply || merged.added.length === 0 || !plan.preview.ok) return result;
      return { ...result, applied: await this.commit(base, plan) };
    };
    return params.apply ? this.exclusive(run) : run();
  }

  /** The engine-wide settings, as the file says them (the running catalog's when the file is not valid). */
  async settings(): Promise<Settings> {
    const base = await this.read().catch(() => undefined);
    const parsed = base ? parseCatalogText(base.text, { checkFiles: false }) : undefined;
    if (parsed?.ok) return settingsOf(parsed.catalog, this.opts.path);
    const running = this.opts.runningCatalog?.();
    if (running) return settingsOf(running, this.opts.path);
    throw new EngineError('unavailable', `catalog file ${this.opts.path} cannot be read or is not valid`, { issues: parsed?.issues ?? [] });
  }

  /** Changes the top-level settings sections; `restartRequired` names those the engine only takes at start. */
  updateSettings(patch: SettingsPatch, expectedRevision?: string): Promise<CatalogChangeResult> {
    return this.apply({ op: 'settings', settings: patch }, expectedRevision);
  }

  /** Checks a draft against the file it was made from: validation, busy models, per-field issues, diff. */
  private async plan(base: Base, draft: CatalogDraft): Promise<Plan> {
    const checked = await this.check(draft.text);
    const busy = this.busyIssues(draft);
    const issues = [...draft.issues, ...checked.issues, ...busy.issues];
    const preview: CatalogChangePreview = {
      ok: !issues.some((i) => i.severity === 'error'),
      issues,
      fieldIssues: fieldIssuesOf(issues, draft.focus),
      text: draft.text,
      diff: diffCatalogText(base.text, draft.text),
      revision: base.revision,
    };
    return { draft, preview, checked, conflict: busy.conflict };
  }

  private async commit(base: Base, plan: Plan): Promise<CatalogChangeResult> {
    if (plan.conflict) throw plan.conflict;
    if (!plan.preview.ok || !plan.checked.ok)
      throw new CatalogInvalidError(
        this.opts.path,
        plan.preview.issues.filter((i) => i.severity === 'error'),
      );
    const text = plan.draft.text;
    if (text === base.text) return { document: this.toDocument(base, plan.checked), restartRequired: [] };
    const revision = revisionOf(text);
    const serialize = this.opts.serializeWrite ?? ((write) => write());
    const restartRequired = await serialize(async () => {
      // The file may have changed while the change was checked: refuse rather than overwrite it.
      assertRevision(await this.read(), base.revision);
      const written = await writeCatalogFile(this.opts.path, text, { checkFiles: this.opts.checkFiles });
      return (await this.opts.onApplied?.(written.catalog, revision)) ?? [];
    });
    return { document: this.toDocument({ text, revision }, plan.checked), restartRequired };
  }

  /** Refusals for a change to a model the engine is using (as issues for the preview, and the error for apply). */
  private busyIssues(draft: CatalogDraft): { issues: CatalogIssue[]; conflict?: EngineError } {
    const target = draft.target;
    const activity = target ? this.opts.modelActivity?.().get(target.id) : undefined;
    if (!target || !activity) return { issues: [] };
    const advice = 'stop it or switch away first';
    if (!target.after) {
      const message = `${target.id} is ${activity}: ${advice}`;
      return { issues: [{ severity: 'error', field: `models[${target.index}]`, message }], conflict: new EngineError('conflict', message, { modelId: target.id, activity }) };
    }
    const fields = changedLaunchFields(target.before, target.after);
    if (fields.length === 0) return { issues: [] };
    const message = `cannot change ${fields.join(', ')} of ${target.id} while it is ${activity} (only ${LIVE_MODEL_FIELD_LIST} can): ${advice}`;
    const issues = fields.map((f): CatalogIssue => ({ severity: 'error', field: `models[${target.index}].${f}`, message: `cannot change while ${target.id} is ${activity}: ${advice}` }));
    return { issues, conflict: new EngineError('conflict', message, { modelId: target.id, activity, fields }) };
  }

  /** Checks a catalog text as a save does: schema, rules, files, the host's topology, the bind's admin keys. */
  async check(text: string): Promise<CatalogLoadResult> {
    const topology = await Promise.resolve(this.opts.topology?.()).catch(() => null);
    return parseCatalogText(text, { path: this.opts.path, checkFiles: this.opts.checkFiles, topology: topology ?? null, exposedOn: this.opts.exposedOn });
  }

  private async read(): Promise<Base> {
    let text: string;
    try {
      text = await readFile(this.opts.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new EngineError('unavailable', `cannot read catalog file ${this.opts.path}: ${(err as Error).message}`);
      text = '';
    }
    return { text, revision: revisionOf(text) };
  }

  private toDocument(base: Base, checked: CatalogLoadResult): CatalogDocument {
    return { path: this.opts.path, text: base.text, revision: base.revision, models: checked.ok ? checked.catalog.models : [], issues: checked.issues };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work);
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/** sha256 of the file text, hex: the catalog's revision. */
export function revisionOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function assertRevision(base: Base, expected: string | undefined): void {
  if (expected === undefined || expected === base.revision) return;
  throw new EngineError('conflict', 'the catalog file changed on disk since it was read; reload it and make the change again', { expectedRevision: expected, revision: base.revision });
}

/** Fields other than label, aliases and sampling that differ (defaults filled when the entries are valid). */
function changedLaunchFields(before: unknown, after: Record<string, unknown>): string[] {
  const filled = (entry: unknown): Record<string, unknown> => {
    const parsed = modelEntrySchema.safeParse(entry);
    return parsed.success ? parsed.data : typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
  };
  const a = filled(before);
  const b = filled(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => !LIVE_MODEL_FIELDS.has(k) && canonical(a[k]) !== canonical(b[k]));
}
