import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelEntryInput } from '../../../shared/catalog-schema.js';
import { parseStartScript, type ImportReport } from './parse-start-script.js';

export { mergeImported, type MergeResult } from './merge-imported.js';
export type { ImportNote, ImportReport } from './parse-start-script.js';

const START_SCRIPT = /^start_sglang_.+\.sh$/;

/** Reads every `start_sglang_*.sh` in `dir` (sorted by name) into catalog entries, one report per script. */
export async function importStartScripts(dir: string): Promise<{ entries: ModelEntryInput[]; reports: ImportReport[] }> {
  const names = (await readdir(dir)).filter((n) => START_SCRIPT.test(n)).sort();
  const entries: ModelEntryInput[] = [];
  const reports: ImportReport[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const { entry, report } = parseStartScript(await readFile(path, 'utf8'), path);
    if (entry) entries.push(entry);
    reports.push(report);
  }
  return { entries, reports };
}
