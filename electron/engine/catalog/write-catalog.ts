import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { describeErrno, errnoOf } from '../../system/describe-errno.js';
import { EngineError } from '../../../shared/engine-error.js';
import { CatalogInvalidError } from './catalog-invalid-error.js';
import { parseCatalogText, type CatalogLoadResult } from './load-catalog.js';
import { serializeCatalog } from './serialize-catalog.js';

export { serializeCatalog } from './serialize-catalog.js';

/** A new catalog file holds API keys, so only its owner may read it. */
const NEW_FILE_MODE = 0o600;

export interface WriteCatalogOptions {
  /** Check model paths, scripts and config.json files before writing (default true). */
  checkFiles?: boolean;
  /** Test seams: called with the fsynced temp file before it replaces the target. */
  hooks?: { beforeRename?: (tempPath: string) => void | Promise<void> };
}

/** The step of the atomic replace that failed. */
export type CatalogWriteStep = 'mkdir' | 'temp' | 'fsync' | 'rename' | 'sync-dir';

/**
 * The file system refused the write (a full disk, a read-only mount, no permission, a quota): an
 * `unavailable` API error naming the file and the errno, never `internal`. Before the rename the old
 * file is untouched and the temp file removed; a failure of the directory's fsync comes after the
 * new file is already in place.
 */
export class CatalogWriteError extends EngineError {
  constructor(
    readonly path: string,
    readonly step: CatalogWriteStep,
    readonly errno: string | undefined,
    cause: unknown,
  ) {
    const why = describeErrno(cause);
    const outcome = step === 'sync-dir' ? 'the new catalog is in place, but its folder could not be synced to disk' : 'the file was left as it was';
    super('unavailable', `cannot save the catalog ${path}: ${why}; ${outcome}`, { path, step, ...(errno ? { errno } : {}) });
    this.name = 'CatalogWriteError';
  }
}

/** Runs one step, turning a file-system error into a CatalogWriteError (anything else passes as it is). */
async function step<T>(path: string, name: CatalogWriteStep, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = errnoOf(err);
    if (code === undefined) throw err;
    throw new CatalogWriteError(path, name, code, err);
  }
}

type LoadedCatalog = Extract<CatalogLoadResult, { ok: true }>;

/**
 * Validates, then atomically replaces `path` (temp file in the same directory, fsync, rename,
 * fsync of the directory). Throws CatalogInvalidError without touching the file when the
 * catalog has errors. Keeps the existing file's mode and writes through a symlink to its target.
 */
export async function writeCatalogFile(path: string, catalog: CatalogInput | string, opts: WriteCatalogOptions = {}): Promise<LoadedCatalog> {
  const text = typeof catalog === 'string' ? catalog : serializeCatalog(catalog);
  const target = await resolveTarget(path);
  const result = parseCatalogText(text, { checkFiles: opts.checkFiles });
  if (!result.ok) throw new CatalogInvalidError(path, result.issues);
  await step(path, 'mkdir', () => mkdir(dirname(target), { recursive: true }));
  await replaceAtomically(path, target, text, opts.hooks?.beforeRename);
  return result;
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/**
 * Each step that can fail on a full or read-only disk (the temp file's creation and write, its fsync,
 * the rename) fails before `target` is touched; the temp file is then removed.
 */
async function replaceAtomically(path: string, target: string, text: string, beforeRename?: (tempPath: string) => void | Promise<void>): Promise<void> {
  const mode = await existingMode(target);
  const tempPath = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const file = await step(path, 'temp', () => open(tempPath, 'wx', mode));
    created = true;
    try {
      await step(path, 'temp', async () => {
        await file.chmod(mode); // open()'s mode is filtered by the umask; the old file's mode is not
        await file.writeFile(text, 'utf8');
      });
      await step(path, 'fsync', () => file.sync());
    } catch (err) {
      await file.close().catch(() => undefined); // the step's error is the one to report
      throw err;
    }
    await step(path, 'temp', () => file.close());
    await beforeRename?.(tempPath);
    await step(path, 'rename', () => rename(tempPath, target));
  } catch (err) {
    // Only a temp file this call created (an EEXIST from open is someone else's file).
    if (created) await unlink(tempPath).catch(() => undefined);
    throw err;
  }
  await step(path, 'sync-dir', () => syncDir(dirname(target)));
}

async function existingMode(target: string): Promise<number> {
  try {
    return (await stat(target)).mode & 0o7777;
  } catch {
    return NEW_FILE_MODE;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; the rename itself has happened.
    if (!(err instanceof Error && 'code' in err && ['EINVAL', 'ENOTSUP', 'EISDIR'].includes(String(err.code)))) throw err;
  } finally {
    await handle.close();
  }
}
