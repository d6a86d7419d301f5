import { open } from 'node:fs/promises';
import { parse } from 'yaml';
import { catalogSchema, type Catalog } from '../../shared/catalog-schema.js';
import { HelperError } from '../../shared/helper-protocol.js';

/**
 * Reads the catalog the helper acts on, fresh on every call. The models' command lines become a
 * root unit's ExecStart, so the file must belong to root (or to the helper's own user when it
 * does not run as root, as in tests) and be writable by nobody else. Errors are `catalog_error`.
 */
export async function readTrustedCatalog(path: string): Promise<Catalog> {
  const text = await readOwnedText(path);
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (err) {
    throw new HelperError('catalog_error', `catalog ${path}: YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HelperError('catalog_error', `catalog ${path}: ${issue?.path.join('.') || 'catalog'}: ${issue?.message ?? 'invalid'} (run "switchboard validate")`);
  }
  return parsed.data;
}

async function readOwnedText(path: string): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new HelperError('catalog_error', `cannot read catalog ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    // fstat on the opened file, so the checked file is the one read.
    const stat = await file.stat();
    const ownUid = process.getuid?.() ?? 0;
    if (!stat.isFile()) throw new HelperError('catalog_error', `catalog ${path} is not a regular file`);
    if (stat.uid !== 0 && stat.uid !== ownUid) throw new HelperError('catalog_error', `catalog ${path} is owned by uid ${stat.uid}; it must belong to root`);
    if ((stat.mode & 0o022) !== 0) {
      throw new HelperError('catalog_error', `catalog ${path} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod go-w it`);
    }
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}
