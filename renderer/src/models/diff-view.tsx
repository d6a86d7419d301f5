import type { DiffLine } from '../../../shared/switchboard-api.js';

/** Unchanged lines kept around each change; longer unchanged runs fold into one line. */
const CONTEXT = 3;

type Row = { kind: DiffLine['kind']; text: string; line?: number } | { kind: 'fold'; count: number };

/** A YAML diff: added lines green with "+", removed red with "-", long unchanged stretches folded. */
export function DiffView({ diff, label = 'Catalog changes' }: { diff: DiffLine[]; label?: string }) {
  const added = diff.filter((d) => d.kind === 'add').length;
  const removed = diff.filter((d) => d.kind === 'remove').length;
  if (added + removed === 0) return <p className="dim">No changes to the catalog file.</p>;
  return (
    <figure className="diff" aria-label={label}>
      <figcaption className="diff-summary">
        <span className="diff-count-add">+{added}</span> <span className="diff-count-remove">−{removed}</span> lines
      </figcaption>
      <pre className="diff-lines" tabIndex={0}>
        {foldUnchanged(diff).map((row, i) =>
          row.kind === 'fold' ? (
            <div key={i} className="diff-fold">
              {'  '}… {row.count} unchanged lines
            </div>
          ) : (
            <div key={i} className={`diff-line diff-${row.kind}`} data-kind={row.kind}>
              <span className="diff-sign" aria-label={row.kind === 'add' ? 'added' : row.kind === 'remove' ? 'removed' : undefined}>
                {row.kind === 'add' ? '+' : row.kind === 'remove' ? '-' : ' '}
              </span>
              {row.text}
            </div>
          ),
        )}
      </pre>
    </figure>
  );
}

function foldUnchanged(diff: DiffLine[]): Row[] {
  const near = diff.map(() => false);
  diff.forEach((d, i) => {
    if (d.kind === 'same') return;
    for (let j = Math.max(0, i - CONTEXT); j <= Math.min(diff.length - 1, i + CONTEXT); j++) near[j] = true;
  });
  const rows: Row[] = [];
  diff.forEach((d, i) => {
    if (near[i]) {
      rows.push({ kind: d.kind, text: d.text, ...((d.newLine ?? d.oldLine) ? { line: d.newLine ?? d.oldLine } : {}) });
      return;
    }
    const last = rows[rows.length - 1];
    if (last?.kind === 'fold') last.count++;
    else rows.push({ kind: 'fold', count: 1 });
  });
  return rows;
}
