import { parseArgs } from 'node:util';
import { parseOrUsage } from './usage-error.js';
import { defaultConfigPath } from '../engine/catalog/default-config-path.js';
import { formatCatalogIssues } from '../engine/catalog/load-catalog.js';
import { loadCatalogOnHost } from '../engine/catalog/load-catalog-on-host.js';

const USAGE = `usage: switchboard validate [--config FILE]

Checks the catalog (YAML, fields, TP vs GPUs and heads, paths) without starting anything.
Where nvidia-smi answers, also warns about TP groups that miss an NVLink-connected set.`;

export async function runValidate(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () => parseArgs({ args, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const path = values.config ?? defaultConfigPath();
  const { loaded: result } = await loadCatalogOnHost(path);
  if (result.issues.length > 0) console.error(formatCatalogIssues(path, result.issues));
  if (!result.ok) return 1;
  console.log(`${path}: ok — ${result.catalog.models.length} model(s): ${result.catalog.models.map((m) => m.id).join(', ')}`);
  return 0;
}
