import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import type { CatalogChangePreview } from '../../../shared/switchboard-api.js';
import { draftFieldOf, type DraftField } from './model-draft.js';

/** The preview's issues placed on the form: per field, and the rest (shown above the fields). */
export interface PlacedIssues {
  byField: Partial<Record<DraftField, CatalogIssue[]>>;
  general: CatalogIssue[];
}

/** Places `fieldIssues` next to their fields; when the change is refused for a reason no field shows, those errors go to `general`. */
export function placeIssues(preview: CatalogChangePreview | null): PlacedIssues {
  const placed: PlacedIssues = { byField: {}, general: [] };
  if (!preview) return placed;
  for (const [key, issues] of Object.entries(preview.fieldIssues)) {
    const field = draftFieldOf(key);
    if (field) placed.byField[field] = [...(placed.byField[field] ?? []), ...issues];
    else placed.general.push(...issues);
  }
  const shownErrors = Object.values(preview.fieldIssues)
    .flat()
    .some((i) => i.severity === 'error');
  if (!preview.ok && !shownErrors) placed.general.push(...preview.issues.filter((i) => i.severity === 'error'));
  return placed;
}
