import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
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

type LoadedCatalog = Extract<CatalogLoadResult, { ok: true }>;

/**
 * Validates, then atomically replaces `path` (temp file in the same directory, fsync, rename,
 * fsync of the directory). Throws CatalogInvalidError without touching the file when the
 * catalog has errors. Keeps the existing file's mode and writes through a symlink to its target.
 */
export async function writeCatalogFile(
  path: string,
  catalog: CatalogInput | string,
  opts: WriteCatalogOptions = {},
): Promise<LoadedCatalog> {
  const text = typeof catalog === 'string' ? catalog : serializeCatalog(catalog);
  const target = await resolveTarget(path);
  const result = parseCatalogText(text, { checkFiles: opts.checkFiles });
  if (!result.ok) throw new CatalogInvalidError(path, result.issues);
  await mkdir(dirname(target), { recursive: true });
  await replaceAtomically(target, text, opts.hooks?.beforeRename);
  return result;
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function replaceAtomically(target: string, text: string, beforeRename?: (tempPath: string) => void | Promise<void>): Promise<void> {
  const mode = await existingMode(target);
  const tempPath = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(tempPath, 'wx', mode);
    try {
      await file.chmod(mode); // open()'s mode is filtered by the umask; the old file's mode is not
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await beforeRename?.(tempPath);
    await rename(tempPath, target);
  } catch (err) {
    await unlink(tempPath).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(target));
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
