import type { LoadRecord } from '../../../shared/engine-state.js';
import type { AppliedPowerLimit } from '../../../shared/gpu-types.js';
import { formatClock } from './format-clock.js';
import { formatDuration } from '../../../shared/format-duration.js';

const OUTCOME_WORDS: Record<LoadRecord['outcome'], string> = { ready: 'ready', failed: 'failed', cancelled: 'cancelled' };

/** Finished loads, newest first: model, outcome, duration, what caused it, power limits applied, failure. */
export function LoadHistoryList({ records, error }: { records: LoadRecord[]; error: string | null }) {
  if (error) return <p className="dim">Load history unavailable: {error}</p>;
  if (records.length === 0) return <p className="dim">No loads recorded yet.</p>;
  const newestFirst = [...records].reverse();
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label="Load history">
        <thead>
          <tr>
            <th scope="col">Ended</th>
            <th scope="col">Model</th>
            <th scope="col">Outcome</th>
            <th scope="col">Took</th>
            <th scope="col">Cause</th>
            <th scope="col" className="col-optional">
              Power limits
            </th>
            <th scope="col">Failure</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((r) => (
            <tr key={`${r.modelId}@${r.startedAtMs}`} data-testid="load-record">
              <td className="num">{formatClock(r.endedAtMs)}</td>
              <td>{r.modelId}</td>
              <td>
                <span className={`badge badge-${r.outcome === 'ready' ? 'loaded' : r.outcome === 'failed' ? 'failed' : 'unloaded'}`}>{OUTCOME_WORDS[r.outcome]}</span>
              </td>
              <td className="num">{formatDuration(r.endedAtMs - r.startedAtMs)}</td>
              <td>{r.cause}</td>
              <td className="col-optional">{formatPowerLimits(r.powerLimits)}</td>
              <td>{r.failure ? `${r.failure.cause}: ${r.failure.message}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "GPU1 300 W, GPU2 300 W" (what the GPUs enforced; the request when that failed). */
export function formatPowerLimits(limits: AppliedPowerLimit[] | undefined): string {
  if (!limits || limits.length === 0) return '';
  return limits.map((l) => (l.enforcedW === null ? `GPU${l.index} ${l.requestedW} W (not applied)` : `GPU${l.index} ${l.enforcedW} W`)).join(', ');
}
