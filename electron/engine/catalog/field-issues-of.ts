import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import type { CatalogDraft } from './draft-catalog-change.js';

/** The key for issues about a model entry as a whole (`models[3]` itself, not one of its fields). */
export const WHOLE_ENTRY_KEY = 'entry';

const SETTINGS_SECTIONS = ['router.', 'backend.', 'sglang.', 'gpu.'];

/**
 * Issues of what a change edits, for inline display: for a model, keyed by its own field
 * (`models[3].gpus[1]` → "gpus"; the entry itself → "entry"); for settings, by the setting
 * ("router.port"). Empty for changes without a focus (remove, import).
 */
export function fieldIssuesOf(issues: readonly CatalogIssue[], focus: CatalogDraft['focus']): Record<string, CatalogIssue[]> {
  const out: Record<string, CatalogIssue[]> = {};
  const add = (key: string, issue: CatalogIssue) => (out[key] ??= []).push(issue);
  for (const issue of issues) {
    if (focus?.kind === 'model') {
      const key = modelFieldKey(issue.field, focus.index);
      if (key !== undefined) add(key, issue);
    } else if (focus?.kind === 'settings' && SETTINGS_SECTIONS.some((s) => issue.field.startsWith(s))) {
      add(issue.field.split(/[[.]/, 2).join('.'), issue);
    }
  }
  return out;
}

/** "tp" for `models[3].tp` when index is 3; undefined for another model's or a top-level field. */
function modelFieldKey(field: string, index: number): string | undefined {
  const prefix = `models[${index}]`;
  if (!field.startsWith(prefix)) return undefined;
  const rest = field.slice(prefix.length);
  if (rest === '') return WHOLE_ENTRY_KEY;
  const plain = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
  if (plain) return plain[1];
  const [, quoted] = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest) ?? [];
  return quoted !== undefined ? (JSON.parse(quoted) as string) : undefined;
}
