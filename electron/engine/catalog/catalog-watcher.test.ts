import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../shared/catalog-schema.js';
import { revisionOf } from './catalog-editor.js';
import { CatalogWatcher, type CatalogReloadEvent, type CatalogWatcherOptions } from './catalog-watcher.js';
import { parseCatalogText } from './load-catalog.js';
import { writeCatalogFile } from './write-catalog.js';

let root: string;
let dir: string;
const open: CatalogWatcher[] = [];
beforeEach(async () => {
  root ??= await mkdtemp(join(tmpdir(), 'catalog-watcher-'));
  dir = await mkdtemp(join(root, 'case-'));
});
afterEach(async () => {
  for (const watcher of open.splice(0)) await watcher.close();
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A catalog with these model ids (and whatever else is appended). */
const catalogText = (ids: string[], extra = '') => `models:\n${ids.map((id) => `  - id: ${id}\n    modelPath: /models/${id}\n`).join('')}${extra}`;
const parse = (text: string): Catalog => {
  const result = parseCatalogText(text, { checkFiles: false });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.catalog;
};
const ids = (catalog: Catalog | undefined) => catalog?.models.map((m) => m.id);

/** Polls until `check` holds (observable state, never a fixed sleep). */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A watcher over `<dir>/switchboard.yaml` holding `initial`, with an engine that records what it is given. */
async function watched(initial: string | null, opts: Partial<CatalogWatcherOptions> & { path?: string; running?: () => Catalog } = {}) {
  const path = opts.path ?? join(dir, 'switchboard.yaml');
  if (initial !== null) await writeFile(path, initial);
  let running = parse(initial ?? '');
  const applied: { catalog: Catalog; revision: string }[] = [];
  const events: CatalogReloadEvent[] = [];
  const watcher = new CatalogWatcher({
    path,
    check: async (text) => parseCatalogText(text, { checkFiles: false }),
    running: () => running,
    apply: (catalog, revision) => {
      applied.push({ catalog, revision });
      running = catalog;
      return [];
    },
    report: (event) => events.push(event),
    debounceMs: 100,
    ...opts,
  });
  open.push(watcher);
  await watcher.start();
  const kinds = () => events.map((e) => e.kind);
  return { path, watcher, applied, events, kinds, running: () => running };
}

describe('CatalogWatcher: each way an editor saves ends with the new catalog applied once', () => {
  it('a write in place (truncate, then write)', async () => {
    const w = await watched(catalogText(['alpha']));
    await writeFile(w.path, catalogText(['alpha', 'beta']));
    await until(() => w.applied.length === 1, 'the apply');
    expect(ids(w.running())).toEqual(['alpha', 'beta']);
    expect(w.applied[0]!.revision).toBe(revisionOf(catalogText(['alpha', 'beta'])));
    expect(w.events[0]).toMatchObject({ kind: 'applied', trigger: 'file', restartRequired: [] });
    expect(ids(w.events[0]!.kind === 'applied' ? w.events[0]!.before : undefined)).toEqual(['alpha']);
  });

  it('a temp file renamed over it (atomic save), and writeCatalogFile itself', async () => {
    const w = await watched(catalogText(['alpha']));
    const temp = join(dir, '.switchboard.yaml.swp');
    await writeFile(temp, catalogText(['beta']));
    await rename(temp, w.path);
    await until(() => w.applied.length === 1, 'the apply after the rename');
    expect(ids(w.running())).toEqual(['beta']);
    // The watch survives the rename: the folder is watched, not the replaced file.
    await writeCatalogFile(w.path, catalogText(['gamma']), { checkFiles: false });
    await until(() => w.applied.length === 2, 'the apply after writeCatalogFile');
    expect(ids(w.running())).toEqual(['gamma']);
  });

  it("a delete and create, and vim's backup rename (rename away, write new, delete the backup)", async () => {
    const w = await watched(catalogText(['alpha']));
    await unlink(w.path);
    await writeFile(w.path, catalogText(['beta']));
    await until(() => w.applied.length === 1, 'the apply after delete + create');
    expect(ids(w.running())).toEqual(['beta']);

    await rename(w.path, `${w.path}~`);
    await writeFile(w.path, catalogText(['gamma']));
    await unlink(`${w.path}~`);
    await until(() => w.applied.length === 2, 'the apply after the backup rename');
    expect(ids(w.running())).toEqual(['gamma']);
    expect(w.kinds().at(-1)).toBe('applied');
  });

  it('a file that stays deleted is reported missing, the running catalog kept; it applies when it is back', async () => {
    const w = await watched(catalogText(['alpha']));
    await unlink(w.path);
    await until(() => w.kinds().includes('missing'), 'the missing report');
    expect(w.applied).toEqual([]);
    expect(ids(w.running())).toEqual(['alpha']);
    await writeFile(w.path, catalogText(['alpha', 'beta']));
    await until(() => w.applied.length === 1, 'the apply once the file is back');
    expect(ids(w.running())).toEqual(['alpha', 'beta']);
  });

  it('20 writes in a row apply the last one, once or a few times in order, never two at once', async () => {
    let active = 0;
    let mostAtOnce = 0;
    const seen: string[] = [];
    const w = await watched(catalogText(['m0']), {
      apply: async (catalog) => {
        mostAtOnce = Math.max(mostAtOnce, ++active);
        seen.push(catalog.models.at(-1)!.id);
        await new Promise((resolve) => setImmediate(resolve));
        active--;
        return [];
      },
    });
    const texts = Array.from({ length: 20 }, (_, i) => catalogText(Array.from({ length: i + 2 }, (_, j) => `m${j}`)));
    for (const text of texts) await writeFile(w.path, text);
    await until(() => seen.at(-1) === 'm20', 'the last write applied');
    expect(seen.length).toBeLessThanOrEqual(3);
    const order = seen.map((id) => Number(id.slice(1)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(mostAtOnce).toBe(1);
  });
});

describe('CatalogWatcher: what is not applied', () => {
  it('an invalid write is reported with its issue and not applied; the next valid write applies', async () => {
    const w = await watched(catalogText(['alpha']));
    await writeFile(w.path, catalogText(['alpha'], '    tp: 0\n'));
    await until(() => w.kinds().includes('rejected'), 'the rejection');
    expect(w.applied).toEqual([]);
    expect(w.events[0]).toMatchObject({ kind: 'rejected', trigger: 'file', issues: [{ severity: 'error', field: 'models[0].tp', line: 4 }] });
    await writeFile(w.path, catalogText(['alpha', 'beta']));
    await until(() => w.applied.length === 1, 'the valid write applied');
    expect(w.kinds()).toEqual(['rejected', 'applied']);
  });

  it('a half-written file (a YAML error), then the whole one: the whole one applies', async () => {
    const w = await watched(catalogText(['alpha']));
    const whole = catalogText(['alpha', 'beta'], '    gpus: [0, 1]\n');
    await writeFile(w.path, whole.slice(0, whole.length - 4));
    await until(() => w.kinds().includes('rejected'), 'the parse error');
    expect(w.events[0]).toMatchObject({ kind: 'rejected', issues: [{ message: expect.stringMatching(/^YAML: /) }] });
    await writeFile(w.path, whole);
    await until(() => w.applied.length === 1, 'the whole file applied');
    expect(w.running().models[1]!.gpus).toEqual([0, 1]);
  });

  it('an empty file is refused (a truncate caught before the write)', async () => {
    const w = await watched(catalogText(['alpha']));
    await writeFile(w.path, '\n');
    await until(() => w.kinds().includes('rejected'), 'the refusal');
    expect(w.events[0]).toMatchObject({ issues: [{ message: expect.stringContaining('the file is empty') }] });
    expect(w.applied).toEqual([]);
  });

  it("the engine's own revision (a save from the UI) is skipped without a report of its own", async () => {
    const w = await watched(catalogText(['alpha']));
    const saved = catalogText(['alpha', 'beta']);
    // What the editor's onApplied does right after its write.
    await writeCatalogFile(w.path, saved, { checkFiles: false });
    w.watcher.noteApplied(revisionOf(saved));
    await until(() => w.events.length > 0, 'the write to be seen');
    expect(w.events).toEqual([{ kind: 'unchanged', trigger: 'file' }]);
    expect(w.applied).toEqual([]);
  });

  it('a save run through whileWriting is never read between its write and its note, however late the note comes', async () => {
    const w = await watched(catalogText(['alpha']));
    const saved = catalogText(['alpha', 'beta']);
    let queued: Promise<CatalogReloadEvent> | undefined;
    await w.watcher.whileWriting(async () => {
      await writeCatalogFile(w.path, saved, { checkFiles: false });
      // A reload asked for now (as the write's own event would be) waits for the save to end: given time to run
      // (a bound, proving it does not, as the engine's onApplied on a slow disk gives it), it has not …
      const reload = w.watcher.reloadNow('file');
      queued = reload;
      expect(await Promise.race([reload.then(() => 'reloaded'), new Promise((resolve) => setTimeout(resolve, 500, 'still queued'))])).toBe('still queued');
      // … so it finds the revision the save then notes, not a new text to apply a second time.
      w.watcher.noteApplied(revisionOf(saved));
    });
    expect(await queued).toEqual({ kind: 'unchanged', trigger: 'file' });
    expect(w.applied).toEqual([]);
  });
});

describe('CatalogWatcher: reloadNow, start and close', () => {
  it('reloadNow (SIGHUP) applies at once without waiting for the file event, which then finds it unchanged', async () => {
    const w = await watched(catalogText(['alpha']));
    await writeFile(w.path, catalogText(['beta']));
    const event = await w.watcher.reloadNow('signal');
    expect(event).toMatchObject({ kind: 'applied', trigger: 'signal' });
    expect(await w.watcher.reloadNow('signal')).toEqual({ kind: 'unchanged', trigger: 'signal' });
    expect(w.applied).toHaveLength(1);
  });

  it('reloadNow works on a watcher that was never started (serve --no-watch)', async () => {
    const path = join(dir, 'switchboard.yaml');
    await writeFile(path, catalogText(['alpha']));
    const events: CatalogReloadEvent[] = [];
    const watcher = new CatalogWatcher({ path, check: async (t) => parseCatalogText(t, { checkFiles: false }), running: () => parse(''), apply: () => [], report: (e) => events.push(e) });
    open.push(watcher);
    expect(await watcher.reloadNow()).toMatchObject({ kind: 'applied', trigger: 'signal' });
    expect(events.map((e) => e.kind)).toEqual(['applied']);
  });

  it('a file edited while the engine started (it differs from the running catalog) is reloaded by start()', async () => {
    const w = await watched(catalogText(['alpha', 'beta']), { running: () => parse(catalogText(['alpha'])) });
    await until(() => w.applied.length === 1, 'the reload at start');
    expect(ids(w.applied[0]!.catalog)).toEqual(['alpha', 'beta']);
  });

  it('a folder that does not exist yet (setup mode) is watched once it does', async () => {
    const path = join(dir, 'not-yet', 'switchboard.yaml');
    const w = await watched(null, { path, retryMs: 50 });
    await mkdir(join(dir, 'not-yet'));
    await writeFile(path, catalogText(['alpha']));
    await until(() => w.applied.length === 1, 'the file in the new folder applied');
    expect(ids(w.running())).toEqual(['alpha']);
  });

  it("a symlinked catalog: a write to the link's target applies", async () => {
    const elsewhere = join(dir, 'dotfiles');
    await mkdir(elsewhere);
    const target = join(elsewhere, 'switchboard.yaml');
    await writeFile(target, catalogText(['alpha']));
    const path = join(dir, 'link.yaml');
    await symlink(target, path);
    const w = await watched(null, { path, running: () => parse(catalogText(['alpha'])) });
    await writeFile(target, catalogText(['beta']));
    await until(() => w.applied.length === 1, 'the write to the target applied');
    expect(ids(w.running())).toEqual(['beta']);
  });

  it('after close nothing reloads: reloadNow says closed', async () => {
    const w = await watched(catalogText(['alpha']));
    await w.watcher.close();
    await writeFile(w.path, catalogText(['beta']));
    expect(await w.watcher.reloadNow()).toEqual({ kind: 'closed' });
    expect(w.applied).toEqual([]);
  });
});
