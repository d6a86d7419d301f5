import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import { EngineError } from '../../../shared/engine-error.js';
import { formatCatalogIssues } from './load-catalog.js';

/** A catalog that failed validation; `issues` holds every problem, the message lists them. */
export class CatalogInvalidError extends EngineError {
  readonly issues: CatalogIssue[];

  constructor(path: string, issues: CatalogIssue[]) {
    super('bad_request', `catalog ${path} is not valid:\n${formatCatalogIssues(path, issues)}`, { issues });
    this.name = 'CatalogInvalidError';
    this.issues = issues;
  }
}
