import { ApiCallError } from '../../../shared/switchboard-api.js';
import type { CatalogIssue } from '../../../shared/catalog-schema.js';

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The catalog file changed since the revision the change was made against. (`conflict` also
 * refuses a change to a model the engine is using; that one names the model and is not this.)
 */
export function isConflict(err: unknown): boolean {
  if (errorCode(err) !== 'conflict') return false;
  const details = err instanceof ApiCallError ? err.details : undefined;
  return details?.['modelId'] === undefined;
}

/** The API error code, when the error crossed the API. */
export function errorCode(err: unknown): string | null {
  if (err instanceof ApiCallError) return err.code;
  if (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string') return (err as { code: string }).code;
  return null;
}

/** The pinned models that refused a load (`conflict` with details.pinned: they hold GPUs it needs); [] otherwise. */
export function pinnedBlockers(err: unknown): string[] {
  if (!(err instanceof ApiCallError) || err.code !== 'conflict') return [];
  const pinned = err.details?.['pinned'];
  return Array.isArray(pinned) ? pinned.filter((id): id is string => typeof id === 'string') : [];
}

/** What to say about a refused write: the issues list follows separately when it has any. */
export function saveErrorMessage(err: unknown): string {
  return issuesOf(err).length > 0 ? 'The catalog would not be valid:' : errorMessage(err);
}

/** Catalog issues a `bad_request` carries in its details (a refused write), if any. */
export function issuesOf(err: unknown): CatalogIssue[] {
  if (!(err instanceof ApiCallError)) return [];
  const issues = err.details?.['issues'];
  return Array.isArray(issues) ? (issues as CatalogIssue[]) : [];
}
