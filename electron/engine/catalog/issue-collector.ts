import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import { formatFieldPath, type PathSegment } from './format-field-path.js';
import type { YamlPosition } from './yaml-locator.js';

/** Where a path sits in the YAML text (see YamlLocator.locate). */
export type LocateFn = (path: readonly PathSegment[], atKey?: boolean) => YamlPosition | undefined;

/** Accumulates catalog issues, filling in field names and positions. */
export class IssueCollector {
  readonly issues: CatalogIssue[] = [];

  constructor(private readonly locate: LocateFn = () => undefined) {}

  error(path: readonly PathSegment[], message: string, atKey = false): void {
    this.add('error', path, message, atKey);
  }

  warning(path: readonly PathSegment[], message: string, atKey = false): void {
    this.add('warning', path, message, atKey);
  }

  private add(severity: CatalogIssue['severity'], path: readonly PathSegment[], message: string, atKey: boolean): void {
    this.issues.push({ severity, field: formatFieldPath(path), ...this.locate(path, atKey), message });
  }
}
