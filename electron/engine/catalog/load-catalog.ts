import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { catalogSchema, type Catalog, type CatalogIssue } from '../../../shared/catalog-schema.js';
import type { Topology } from '../../../shared/gpu-types.js';
import { validateCatalog } from './validate-catalog.js';
import { createYamlLocator } from './yaml-locator.js';
import { zodIssuesToCatalog } from './zod-issues-to-catalog.js';

/** A loaded catalog with its warnings, or the errors (and warnings) that stopped it. */
export type CatalogLoadResult = { ok: true; catalog: Catalog; issues: CatalogIssue[] } | { ok: false; issues: CatalogIssue[] };

export interface ParseCatalogOptions {
  /** The file the text came from; lets validation warn about a world-readable file with API keys. */
  path?: string;
  /** Check model paths, scripts and config.json files (default true). */
  checkFiles?: boolean;
  /** The host's GPU topology, for the NVLink placement warnings (none without it). */
  topology?: Topology | null;
  /** The address beyond loopback a running engine listens on: router.adminKeys may not go (ValidateCatalogOptions). */
  exposedOn?: string;
}

/** Reads, parses and validates a catalog file. Never throws: a missing file is an issue too. */
export async function loadCatalogFile(path: string, opts: Omit<ParseCatalogOptions, 'path'> = {}): Promise<CatalogLoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ severity: 'error', field: '', message: readFailure(path, err) }] };
  }
  return parseCatalogText(text, { ...opts, path });
}

/** Parses and validates catalog YAML text; every issue names its line, column and field when it can. */
export function parseCatalogText(text: string, opts: ParseCatalogOptions = {}): CatalogLoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const toIssue =
    (severity: CatalogIssue['severity']) =>
    (e: YAMLError): CatalogIssue => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { severity, field: '', line, column: col, message: `YAML: ${e.message}` };
    };
  const yamlWarnings = doc.warnings.map(toIssue('warning'));
  if (doc.errors.length > 0) return { ok: false, issues: [...doc.errors.map(toIssue('error')), ...yamlWarnings] };

  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (err) {
    return { ok: false, issues: [{ severity: 'error', field: '', message: `YAML: ${err instanceof Error ? err.message : err}` }] };
  }
  const locator = createYamlLocator(doc, lineCounter, text);
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, issues: byPosition([...zodIssuesToCatalog(parsed.error.issues, data, locator), ...yamlWarnings]) };
  }
  const semantic = validateCatalog(parsed.data, { checkFiles: opts.checkFiles, locate: locator.locate, catalogPath: opts.path, topology: opts.topology, exposedOn: opts.exposedOn });
  const issues = byPosition([...semantic, ...yamlWarnings]);
  if (issues.some((i) => i.severity === 'error')) return { ok: false, issues };
  return { ok: true, catalog: parsed.data, issues };
}

/** One line per issue: `switchboard.yaml:14:5 models[1].tp: must be ≤ number of GPUs (2)`. */
export function formatCatalogIssues(path: string, issues: readonly CatalogIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line === undefined ? `${path}:` : `${path}:${issue.line}:${issue.column ?? 1}`;
      const severity = issue.severity === 'warning' ? ' warning:' : '';
      const field = issue.field ? ` ${issue.field}:` : '';
      return `${where}${severity}${field} ${issue.message}`;
    })
    .join('\n');
}

function byPosition(issues: CatalogIssue[]): CatalogIssue[] {
  const key = (i: CatalogIssue) => (i.line ?? 0) * 1e6 + (i.column ?? 0);
  return [...issues].sort((a, b) => key(a) - key(b));
}

function readFailure(path: string, err: unknown): string {
  const code = err instanceof Error && 'code' in err ? (err as NodeJS.ErrnoException).code : undefined;
  if (code === 'ENOENT') return `catalog file ${path} does not exist`;
  if (code === 'EACCES') return `cannot read catalog file ${path}: permission denied`;
  if (code === 'EISDIR') return `catalog path ${path} is a directory, not a file`;
  return `cannot read catalog file ${path}: ${err instanceof Error ? err.message : String(err)}`;
}
