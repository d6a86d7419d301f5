import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseOrUsage } from './usage-error.js';
import { defaultConfigPath } from '../engine/catalog/default-config-path.js';
import { importStartScripts, mergeImported, type ImportReport } from '../engine/catalog/import-start-scripts.js';
import { formatCatalogIssues } from '../engine/catalog/load-catalog.js';
import { serializeCatalog, writeCatalogFile } from '../engine/catalog/write-catalog.js';
import { CatalogInvalidError } from '../engine/catalog/catalog-invalid-error.js';

const USAGE = `usage: switchboard import-scripts DIR [--merge] [--config FILE]

Reads start_sglang_*.sh scripts in DIR and prints catalog entries for them (YAML).
With --merge, adds them to the catalog (validated first; the file is replaced atomically).
Whatever a script does that cannot be mapped is reported, never silently dropped.`;

export async function runImportScripts(args: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () =>
    parseArgs({ args, allowPositionals: true, options: { merge: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`expected one directory\n${USAGE}`);
    return 2;
  }
  let imported;
  try {
    imported = await importStartScripts(positionals[0]!);
  } catch (err) {
    console.error(`switchboard import-scripts: ${(err as Error).message}`);
    return 1;
  }
  for (const report of imported.reports) console.error(formatReport(report));
  if (imported.entries.length === 0) {
    console.error(`no start_sglang_*.sh script in ${positionals[0]} could be imported`);
    return 1;
  }
  if (!values.merge) {
    process.stdout.write(serializeCatalog({ models: imported.entries }));
    return 0;
  }
  return merge(values.config ?? defaultConfigPath(), imported.entries);
}

async function merge(configPath: string, entries: Parameters<typeof mergeImported>[1]): Promise<number> {
  const text = await readFile(configPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  let result;
  try {
    result = mergeImported(text, entries);
  } catch (err) {
    console.error(`switchboard import-scripts: ${(err as Error).message} (${configPath})`);
    return 1;
  }
  for (const s of result.skipped) console.error(`skipped ${s.id}: ${s.reason}`);
  if (result.added.length === 0) {
    console.error('nothing new to add');
    return 0;
  }
  try {
    await writeCatalogFile(configPath, result.text);
  } catch (err) {
    if (err instanceof CatalogInvalidError) {
      console.error(`not merged — the catalog would not be valid (nothing was changed):\n${formatCatalogIssues(configPath, err.issues)}`);
      return 1;
    }
    throw err;
  }
  console.log(`added ${result.added.join(', ')} to ${configPath}`);
  return 0;
}

function formatReport(report: ImportReport): string {
  const head = `${report.script}${report.id ? ` → ${report.id}` : ''}`;
  const lines = report.notes.map((n) => `  ${n.line ? `line ${n.line}: ` : ''}${n.severity}: ${n.message}`);
  if (report.suggestedCommand) lines.push(`  suggestion: sglang.command: [${report.suggestedCommand.join(', ')}]`);
  return [head, ...lines].join('\n');
}
