import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `text` so that a reader (or a crash) sees the old file or the new one, never
 * a part: a temp file beside it (`wx`, `mode`), written and fsynced, renamed over the target, then the
 * directory fsynced. On any failure (ENOSPC, EROFS …) the temp file is removed, the target is left as
 * it was, and the error is thrown.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  const handle = await open(dir, 'r');
  await handle.sync().finally(() => handle.close());
}
