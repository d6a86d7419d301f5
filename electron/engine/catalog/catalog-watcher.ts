import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Catalog, CatalogIssue } from '../../../shared/catalog-schema.js';
import { describeErrno, errnoOf } from '../../system/describe-errno.js';
import { revisionOf } from './catalog-editor.js';
import { canonical } from './draft-catalog-change.js';
import type { CatalogLoadResult } from './load-catalog.js';

/** What made a reload happen: the file changed on disk, or someone asked (SIGHUP). */
export type CatalogReloadTrigger = 'file' | 'signal';

/** What one reload did, or why the watcher cannot watch; the host turns it into a log line and a notice. */
export type CatalogReloadEvent =
  | { kind: 'applied'; trigger: CatalogReloadTrigger; revision: string; before: Catalog; after: Catalog; warnings: CatalogIssue[]; restartRequired: string[] }
  /** The file says what the engine already runs (the UI's own save, a touch, an edit undone). */
  | { kind: 'unchanged'; trigger: CatalogReloadTrigger }
  /** Not applied: the running catalog is untouched. */
  | { kind: 'rejected'; trigger: CatalogReloadTrigger; issues: CatalogIssue[] }
  /** The file is gone (still, after the quiet time): the running catalog is untouched. */
  | { kind: 'missing'; trigger: CatalogReloadTrigger }
  /** The folder cannot be watched (no inotify watches left, no permission): only SIGHUP reloads. */
  | { kind: 'not-watching'; message: string }
  | { kind: 'closed' };

export interface CatalogWatcherOptions {
  path: string;
  /** Checks a text exactly as the UI's save does (schema, files, TP, NVLink). */
  check(text: string): Promise<CatalogLoadResult>;
  /** The catalog the engine runs now. */
  running(): Catalog;
  /** Hands a checked catalog to the engine as the UI's save does after its write; returns the fields that need a restart. */
  apply(catalog: Catalog, revision: string): string[] | Promise<string[]>;
  report(event: CatalogReloadEvent): void;
  /** Quiet time after the last file event before the file is read (default 250 ms). */
  debounceMs?: number;
  /** How often a folder that does not exist yet is looked for again (default 2 s). */
  retryMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 250;
const DEFAULT_RETRY_MS = 2_000;

/**
 * Watches the catalog file and applies what is written to it. Editors save in place, through a temp
 * file renamed over it, or by deleting and creating it (vim renames its backup): the folder is watched,
 * not the file (a watch on the file dies with a rename), and a burst of events becomes one read after
 * `debounceMs` of quiet. Reloads run one at a time; an event during one schedules another, so the last
 * write is always read after it happened. A text whose revision is the one the engine runs is skipped
 * (the UI's own save runs `whileWriting` and tells the watcher its revision through `noteApplied`).
 */
export class CatalogWatcher {
  private readonly watchers = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  private chain: Promise<unknown> = Promise.resolve();
  private debounce: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** The revision of the text the engine runs; undefined while there is no file (setup mode). */
  private revision: string | undefined;
  private reportedUnwatched = false;
  private closed = false;

  constructor(private readonly opts: CatalogWatcherOptions) {}

  /**
   * Starts watching the file's folder. The file's text is then taken as the running one when it says
   * what the engine runs; one edited since the engine read it (while it started) is reloaded. That
   * check runs in the background, first in the reload queue: the host is serving already.
   */
  async start(): Promise<void> {
    await this.watchFolders();
    this.chain = this.chain.then(() => this.adoptFile()).catch(() => undefined);
  }

  /** The engine now runs the text of `revision` (a save from the UI): the write's own event then reloads nothing. */
  noteApplied(revision: string): void {
    this.revision = revision;
  }

  /**
   * Runs a save from the UI (its write, then `noteApplied`) in the reload queue: no reload reads the
   * file between the write and the note (a slow fsync used to let one apply the same text twice).
   */
  whileWriting<T>(write: () => Promise<T>): Promise<T> {
    const run = this.chain.then(write);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reads and applies the file now, after any reload under way; resolves with what it did (also reported). */
  reloadNow(trigger: CatalogReloadTrigger = 'signal'): Promise<CatalogReloadEvent> {
    const run = this.chain.then(() => this.reload(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops watching; resolves once a reload under way has finished (none starts after). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.retry);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.chain;
  }

  private async adoptFile(): Promise<void> {
    const text = await readFile(this.opts.path, 'utf8').catch(() => undefined);
    // No file (setup mode), or a save from the UI already said what runs.
    if (text === undefined || this.revision !== undefined || this.closed) return;
    const checked = await this.opts.check(text).catch(() => null);
    if (this.revision !== undefined) return;
    if (checked?.ok && canonical(checked.catalog) === canonical(this.opts.running())) this.revision = revisionOf(text);
    else this.onFileEvent(dirname(this.opts.path), null);
  }

  private async reload(trigger: CatalogReloadTrigger): Promise<CatalogReloadEvent> {
    if (this.closed) return { kind: 'closed' };
    const event = await this.readAndApply(trigger);
    if (this.closed && event.kind !== 'applied') return { kind: 'closed' };
    this.opts.report(event);
    // A symlink may now point elsewhere, or the folder exist at last.
    await this.watchFolders();
    return event;
  }

  private async readAndApply(trigger: CatalogReloadTrigger): Promise<CatalogReloadEvent> {
    let text: string;
    try {
      text = await readFile(this.opts.path, 'utf8');
    } catch (err) {
      // No file and none before (setup mode): nothing changed.
      if (errnoOf(err) === 'ENOENT') return this.revision === undefined ? { kind: 'unchanged', trigger } : { kind: 'missing', trigger };
      return rejected(trigger, `cannot read it: ${describeErrno(err)}`);
    }
    const revision = revisionOf(text);
    if (revision === this.revision) return { kind: 'unchanged', trigger };
    // Most likely caught between an editor's truncate and its write; and a catalog with no models would stop all routing.
    if (text.trim() === '') return rejected(trigger, 'the file is empty (to run with no models, write "models: []")');
    try {
      const checked = await this.opts.check(text);
      if (!checked.ok) return { kind: 'rejected', trigger, issues: checked.issues };
      if (this.closed) return { kind: 'closed' };
      const before = this.opts.running();
      const restartRequired = await this.opts.apply(checked.catalog, revision);
      this.revision = revision;
      return { kind: 'applied', trigger, revision, before, after: checked.catalog, warnings: checked.issues, restartRequired };
    } catch (err) {
      return rejected(trigger, `it could not be applied: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onFileEvent(dir: string, filename: string | null): void {
    const names = this.watchers.get(dir)?.names;
    if (this.closed || (filename !== null && !names?.has(filename))) return;
    clearTimeout(this.debounce);
    // Whatever happens is reported; a report that throws has nowhere else to go.
    this.debounce = setTimeout(() => void this.reloadNow('file').catch(() => undefined), this.opts.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  /** Watches the file's folder, and its target's when the file is a symlink; a folder that is missing is looked for again later. */
  private async watchFolders(): Promise<void> {
    const wanted = [this.opts.path];
    const target = await realpath(this.opts.path).catch(() => null);
    if (target !== null && target !== this.opts.path) wanted.push(target);
    let missingFolder = false;
    for (const file of wanted) {
      const dir = dirname(file);
      const known = this.watchers.get(dir);
      if (known) {
        known.names.add(basename(file));
        continue;
      }
      if (this.closed) return;
      try {
        const watcher = watch(dir, { persistent: false }, (_type, filename) => this.onFileEvent(dir, filename));
        watcher.on('error', () => this.forget(dir));
        this.watchers.set(dir, { watcher, names: new Set([basename(file)]) });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') missingFolder = true;
        else this.reportUnwatched(dir, err);
      }
    }
    if (missingFolder) this.lookAgainLater();
  }

  /** A watch that failed (its folder was removed): the folder is looked for again. */
  private forget(dir: string): void {
    this.watchers.get(dir)?.watcher.close();
    this.watchers.delete(dir);
    this.lookAgainLater();
  }

  private lookAgainLater(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      const before = this.watchers.size;
      void this.watchFolders().then(() => {
        // The folder came back: the file may have come with it.
        if (this.watchers.size > before) this.onFileEvent(dirname(this.opts.path), null);
      });
    }, this.opts.retryMs ?? DEFAULT_RETRY_MS);
    this.retry.unref();
  }

  private reportUnwatched(dir: string, err: unknown): void {
    if (this.reportedUnwatched) return;
    this.reportedUnwatched = true;
    this.opts.report({ kind: 'not-watching', message: `cannot watch ${dir} for changes to ${basename(this.opts.path)}: ${describeErrno(err)}` });
  }
}

function rejected(trigger: CatalogReloadTrigger, message: string): CatalogReloadEvent {
  return { kind: 'rejected', trigger, issues: [{ severity: 'error', field: '', message }] };
}
