import { basename } from 'node:path';
import type { Catalog, CatalogIssue, ModelEntry } from '../../../shared/catalog-schema.js';
import type { EngineNotice } from '../../../shared/engine-state.js';
import type { ModelActivity } from './catalog-editor.js';
import type { CatalogReloadEvent } from './catalog-watcher.js';
import { canonical } from './draft-catalog-change.js';
import { formatCatalogIssues } from './load-catalog.js';
import { LIVE_MODEL_FIELDS } from './live-model-fields.js';

/** The id of the notice a reload that was not applied leaves (cleared by the next reload or save that applies). */
export const CATALOG_RELOAD_NOTICE = 'catalog:reload';

/** What a reload event becomes: a line for the engine log, and what happens to the reload notice. */
export interface CatalogReloadReport {
  /** Undefined: nothing worth a line (the UI's own save seen again). */
  log?: string;
  /** A notice to set, null to clear it, undefined to leave it as it is. */
  notice?: { level: EngineNotice['level']; message: string } | null;
}

/**
 * Turns a watcher event into its log line and notice. `activity` is what the engine holds right
 * after the reload: a loaded or loading model keeps running as it was launched, so its changed launch
 * fields are named as applying when it unloads.
 */
export function describeCatalogReload(event: CatalogReloadEvent, path: string, activity: ReadonlyMap<string, ModelActivity>): CatalogReloadReport {
  const via = (trigger: 'file' | 'signal') => (trigger === 'signal' ? ' on SIGHUP' : '');
  const file = basename(path);
  switch (event.kind) {
    case 'applied': {
      const warnings = event.warnings.length > 0 ? `\n${formatCatalogIssues(path, event.warnings)}` : '';
      return { log: `catalog reloaded from ${path}${via(event.trigger)}: ${summarizeChange(event.before, event.after, event.restartRequired, activity)}${warnings}`, notice: null };
    }
    case 'unchanged':
      return event.trigger === 'signal' ? { log: `catalog ${path} reread on SIGHUP: unchanged`, notice: null } : { notice: null };
    case 'rejected': {
      const errors = event.issues.filter((i) => i.severity === 'error');
      return {
        log: `catalog ${path} was not reloaded${via(event.trigger)} (the running catalog is unchanged):\n${formatCatalogIssues(path, errors)}`,
        notice: { level: 'error', message: `${file} was not reloaded: ${firstIssue(errors)} — the running catalog is unchanged` },
      };
    }
    case 'missing':
      return {
        log: `catalog ${path} is missing${via(event.trigger)}: the running catalog is unchanged, and is reloaded when the file is back`,
        notice: { level: 'warning', message: `${file} is missing — the running catalog is unchanged` },
      };
    case 'not-watching':
      return {
        log: `${event.message}; edits are not picked up by themselves (send SIGHUP to reload)`,
        notice: { level: 'warning', message: `${event.message}: edits to ${file} take effect on SIGHUP only` },
      };
    case 'closed':
      return {};
  }
}

/** "models added a; changed b; restart the engine to apply: router.port; …", or that nothing that matters changed. */
export function summarizeChange(before: Catalog, after: Catalog, restartRequired: readonly string[], activity: ReadonlyMap<string, ModelActivity>): string {
  const old = new Map(before.models.map((m) => [m.id, m]));
  const next = new Map(after.models.map((m) => [m.id, m]));
  const added = after.models.filter((m) => !old.has(m.id)).map((m) => m.id);
  const removed = before.models.filter((m) => !next.has(m.id)).map((m) => m.id);
  const changed = after.models.filter((m) => old.has(m.id) && canonical(old.get(m.id)) !== canonical(m)).map((m) => m.id);
  const sections = (Object.keys(after) as (keyof Catalog)[]).filter((k) => k !== 'models' && canonical(before[k]) !== canonical(after[k]));
  const parts = [
    ...(added.length > 0 ? [`models added ${added.join(', ')}`] : []),
    ...(changed.length > 0 ? [`changed ${changed.join(', ')}`] : []),
    ...(removed.length > 0 ? [`removed ${removed.join(', ')}`] : []),
    ...(sections.length > 0 ? [`settings changed: ${sections.join(', ')}`] : []),
  ];
  if (parts.length === 0) parts.push('no change to models or settings');
  if (restartRequired.length > 0) parts.push(`restart the engine to apply: ${restartRequired.join(', ')}`);
  const sglangChanged = sections.includes('sglang');
  for (const [id, what] of activity) {
    if (what === 'queued') continue;
    const fields = [...launchFieldsChanged(old.get(id), next.get(id)), ...(sglangChanged ? ['sglang'] : [])];
    if (!next.has(id)) parts.push(`${id} is ${what} and no longer in the catalog: it keeps running as it was launched`);
    else if (fields.length > 0) parts.push(`${id} is ${what} and keeps running as it was launched: its new ${fields.join(', ')} apply when it unloads`);
  }
  return parts.join('; ');
}

/** Fields other than the live ones that differ between two entries of one model. */
function launchFieldsChanged(before: ModelEntry | undefined, after: ModelEntry | undefined): string[] {
  if (!before || !after) return [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])] as (keyof ModelEntry)[];
  return keys.filter((k) => !LIVE_MODEL_FIELDS.has(k) && canonical(before[k]) !== canonical(after[k]));
}

/** "models[1].tp: must be ≤ number of GPUs (2) (line 14)", and how many more there are. */
function firstIssue(errors: readonly CatalogIssue[]): string {
  const first = errors[0];
  if (!first) return 'it has errors';
  const where = first.line === undefined ? '' : ` (line ${first.line})`;
  const more = errors.length > 1 ? ` and ${errors.length - 1} more` : '';
  return `${first.field ? `${first.field}: ` : ''}${first.message}${where}${more}`;
}
