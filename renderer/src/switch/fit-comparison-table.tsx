import type { FitComparison } from '../../../shared/fit-estimate.js';
import { fitComparisonRows } from '../../../shared/format-fit-comparison.js';

/** A load's memory as the fit estimate predicted it and as SGLang reported it (filled in as the load runs). */
export function FitComparisonTable({ fit, loading }: { fit: FitComparison; loading: boolean }) {
  const rows = fitComparisonRows(fit).filter((r) => r.predicted !== null || r.actual !== null);
  if (rows.length === 0) return null;
  const source = fit.actual.source === 'server_info' ? 'the server (/server_info)' : 'the SGLang log';
  return (
    <table className="fit-comparison" data-testid="switch-fit" aria-label="Memory: predicted and actual">
      <thead>
        <tr>
          <th scope="col">Memory</th>
          <th scope="col">Predicted</th>
          <th scope="col" title={fit.actual.source ? `As reported by ${source}` : undefined}>
            Actual
          </th>
          <th scope="col">Difference</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label} data-testid={`switch-fit-${row.label === 'Weights per GPU' ? 'weights' : 'kv'}`}>
            <th scope="row">{row.label}</th>
            <td>{row.predicted ?? '—'}</td>
            <td>{row.actual ?? (loading ? 'waiting for the log…' : 'not reported')}</td>
            <td>{row.delta ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
