import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { ImportReport } from '../../../shared/switchboard-api.js';
import { parseStartScript } from './parse-start-script.js';

const START_SCRIPT = /^start_sglang_.+\.sh$/;

/** Where start scripts come from: files or folders on this host, and texts a client uploaded. */
export interface StartScriptSources {
  paths?: readonly string[];
  scripts?: readonly { name: string; text: string }[];
}

/**
 * Parses every script into a catalog entry, one report each, in the order given (a folder's
 * `start_sglang_*.sh` sorted by name). Only `.sh` files are read, so a client cannot make the engine
 * quote lines of arbitrary files back; a path that cannot be read gets a report with an error note.
 */
export async function collectStartScripts(sources: StartScriptSources): Promise<{ entries: ModelEntryInput[]; reports: ImportReport[] }> {
  const texts: { name: string; text: string }[] = [];
  const reports: ImportReport[] = [];
  for (const path of sources.paths ?? []) {
    const found = await readScripts(path);
    if ('error' in found) reports.push({ script: path, notes: [{ severity: 'error', message: found.error }] });
    else texts.push(...found.scripts);
  }
  texts.push(...(sources.scripts ?? []));
  const entries: ModelEntryInput[] = [];
  for (const { name, text } of texts) {
    const { entry, report } = parseStartScript(text, name);
    if (entry) entries.push(entry);
    reports.push(report);
  }
  return { entries, reports };
}

async function readScripts(path: string): Promise<{ scripts: { name: string; text: string }[] } | { error: string }> {
  try {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((n) => START_SCRIPT.test(n)).sort();
      if (names.length === 0) return { error: `no start_sglang_*.sh script in ${path}` };
      return { scripts: await Promise.all(names.map(async (n) => ({ name: join(path, n), text: await readFile(join(path, n), 'utf8') }))) };
    }
    if (!path.endsWith('.sh')) return { error: `${path} is not a folder or a .sh start script` };
    return { scripts: [{ name: path, text: await readFile(path, 'utf8') }] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(err as Error).message})`;
    return { error: `${path} ${why}` };
  }
}
