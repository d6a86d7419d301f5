import type { ReactNode } from 'react';
import type { CatalogIssue } from '../../../shared/catalog-schema.js';

/** The ids a control needs to be labelled and described by its issues. */
export interface FieldControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/**
 * One labelled form control with its issues under it: the form's own parse error first, then the
 * engine's errors and warnings for that field (as you type, from `catalog.preview`).
 */
export function FormField({
  name,
  label,
  hint,
  localIssue,
  issues = [],
  children,
}: {
  name: string;
  label: string;
  hint?: string;
  localIssue?: string | undefined;
  issues?: CatalogIssue[] | undefined;
  children: (control: FieldControlProps) => ReactNode;
}) {
  const id = `model-field-${name}`;
  const issuesId = `${id}-issues`;
  const all = [...(localIssue ? [{ severity: 'error' as const, message: localIssue }] : []), ...issues];
  const hasError = all.some((i) => i.severity === 'error');
  return (
    <div className={`form-field${hasError ? ' has-error' : ''}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': hasError, 'aria-describedby': all.length > 0 || hint ? issuesId : undefined })}
      <div id={issuesId} className="field-notes" aria-live="polite">
        {hint && all.length === 0 && <span className="field-hint">{hint}</span>}
        {all.map((issue, i) => (
          <span key={i} className={`issue issue-${issue.severity}`} data-testid={`issue-${name}`}>
            {issue.severity === 'warning' ? '⚠ ' : '✕ '}
            {issue.message}
          </span>
        ))}
      </div>
    </div>
  );
}
