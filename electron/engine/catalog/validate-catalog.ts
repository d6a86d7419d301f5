import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Catalog, CatalogIssue, ModelEntry } from '../../../shared/catalog-schema.js';
import type { Topology } from '../../../shared/gpu-types.js';
import { modelShapeOf, tpShardingProblem } from './attention-heads.js';
import { checkCatalogRules } from './check-catalog-rules.js';
import { checkGpuPlacement } from './check-gpu-placement.js';
import { IssueCollector, type LocateFn } from './issue-collector.js';

export interface ValidateCatalogOptions {
  /** Look at model paths, scripts and config.json files (default true). Off for editing flows. */
  checkFiles?: boolean;
  /** Maps a field path to its YAML position; issues carry no line without it. */
  locate?: LocateFn;
  /** The catalog file itself, to warn when it holds API keys but others can read it. */
  catalogPath?: string;
  /** The host's `nvidia-smi topo -m`, to warn about TP groups that miss NVLink; no GPU checks without it. */
  topology?: Topology | null;
  /**
   * The address beyond loopback a running engine listens on (it started there because it had admin keys):
   * a catalog for it without router.adminKeys is refused, as the start refuses one.
   */
  exposedOn?: string;
}

/**
 * Semantic checks on a catalog that passed the schema. All file-system access of the catalog
 * checks happens in this module, synchronously.
 */
export function validateCatalog(catalog: Catalog, opts: ValidateCatalogOptions = {}): CatalogIssue[] {
  const out = new IssueCollector(opts.locate);
  checkCatalogRules(catalog, out);
  if (opts.topology) checkGpuPlacement(catalog, opts.topology, out);
  if (opts.exposedOn !== undefined && catalog.router.adminKeys.length === 0) {
    out.error(
      ['router', 'adminKeys'],
      `this engine listens on ${opts.exposedOn}, beyond loopback: without an admin key other machines lose the admin API (the generated token is readable only here). ` +
        'Keep at least one, or set router.host to 127.0.0.1 and restart the engine with a key still in place',
    );
  }
  if (opts.checkFiles ?? true) {
    catalog.models.forEach((model, i) => checkModelFiles(model, i, { ...catalog.sglang.env, ...model.env }, out));
    checkCommand(catalog, out);
    if (opts.catalogPath && (catalog.router.apiKeys.length > 0 || catalog.router.adminKeys.length > 0)) checkSecretMode(catalog, opts.catalogPath, out);
  }
  return out.issues;
}

function checkModelFiles(model: ModelEntry, i: number, env: Record<string, string>, out: IssueCollector): void {
  if (model.script?.startsWith('/')) {
    checkExecutable(model.script, ['models', i, 'script'], 'script', out);
  } else if (model.modelPath?.startsWith('/')) {
    const stats = statOrReport(model.modelPath, ['models', i, 'modelPath'], 'model path', out);
    if (stats?.isDirectory()) checkModelConfig(model, i, env, out);
  }
}

function checkModelConfig(model: ModelEntry, i: number, env: Record<string, string>, out: IssueCollector): void {
  const file = join(model.modelPath ?? '', 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = isNodeError(err) && err.code === 'ENOENT' ? 'has no config.json' : `has an unreadable config.json (${errorText(err)})`;
    out.warning(['models', i, 'modelPath'], `${model.modelPath} ${why}; SGLang needs one to load the model`);
    return;
  }
  const shape = modelShapeOf(config);
  if (!shape) return;
  const problem = tpShardingProblem(model.tp, shape);
  if (problem) out.error(['models', i, 'tp'], `${problem} in ${file}`);
  const allowLonger = ['1', 'true'].includes((env.SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN ?? '').toLowerCase());
  if (model.contextLength && shape.maxPositions && model.contextLength > shape.maxPositions && !allowLonger) {
    out.warning(['models', i, 'contextLength'], `exceeds max_position_embeddings (${shape.maxPositions}) in ${file}; SGLang refuses this unless env SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1`);
  }
}

function checkCommand(catalog: Catalog, out: IssueCollector): void {
  const [program = ''] = catalog.sglang.command;
  const launches = catalog.models.some((m) => m.script === undefined && m.upstream === undefined);
  if (launches && program.startsWith('/')) checkExecutable(program, ['sglang', 'command', 0], 'program', out);
}

function checkExecutable(file: string, path: (string | number)[], what: string, out: IssueCollector): void {
  const stats = statOrReport(file, path, what, out);
  if (!stats) return;
  if (!stats.isFile()) return out.error(path, `${what} ${file} is not a file`);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    out.error(path, `${what} ${file} is not executable (chmod +x it)`);
  }
}

function statOrReport(file: string, path: (string | number)[], what: string, out: IssueCollector): Stats | undefined {
  try {
    return statSync(file);
  } catch (err) {
    const code = isNodeError(err) ? err.code : undefined;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not accessible (permission denied)' : `cannot be read (${errorText(err)})`;
    out.error(path, `${what} ${file} ${why}`);
    return undefined;
  }
}

function checkSecretMode(catalog: Catalog, catalogPath: string, out: IssueCollector): void {
  let mode: number;
  try {
    mode = statSync(catalogPath).mode;
  } catch {
    return;
  }
  const shown = (mode & 0o777).toString(8);
  // Admin keys steer the host (power limits through the root helper): readable by every user
  // they would open the admin API to everyone. The group may be the deployment's trusted group.
  if (catalog.router.adminKeys.length > 0 && (mode & 0o004) !== 0) {
    out.error(['router', 'adminKeys'], `${catalogPath} holds admin keys but every user can read it (mode ${shown}); chmod o-r it (600, or 640 for a trusted group)`);
    return;
  }
  if (catalog.router.apiKeys.length > 0 && (mode & 0o077) !== 0) {
    out.warning(['router', 'apiKeys'], `${catalogPath} holds API keys but other users can read it (mode ${shown}); chmod 600 it`);
  }
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
