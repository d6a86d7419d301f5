import type { SlotView, SwapRecord } from '../../../shared/engine-state.js';
import { formatSlotGpus } from '../engine/format-slot-gpus.js';
import { describeSwapCause } from './describe-swap-cause.js';
import { formatClock } from './format-clock.js';
import { formatDuration } from '../../../shared/format-duration.js';

const OUTCOME_BADGE: Record<NonNullable<SwapRecord['outcome']>, string> = { ready: 'loaded', failed: 'failed', cancelled: 'unloaded' };

/** The Action column: a warm model is put to sleep (GPU memory released) and woken. */
const ACTION_WORDS: Record<SwapRecord['action'], string> = { load: 'load', unload: 'unload', sleep: 'put to sleep', wake: 'woken' };

/**
 * Every load, unload, sleep and wake across the slots, newest first: when, what, where (GPUs), why,
 * and for loads and wakes how it ended; a sleep or wake that was turned into a stop says why.
 */
export function SwapHistoryTable({ records, error, slots }: { records: SwapRecord[]; error: string | null; slots: readonly SlotView[] }) {
  const gpusOf = new Map(slots.map((s) => [s.id, formatSlotGpus(s.gpus)]));
  return (
    <div data-testid="swap-history">
      {error && <p className="dim">Swap history unavailable: {error}</p>}
      {!error && records.length === 0 && <p className="dim">No loads or unloads recorded yet.</p>}
      {records.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" aria-label="Swap history">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Model</th>
                <th scope="col">Slot</th>
                <th scope="col">Cause</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Took
                </th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={`${r.atMs}|${r.action}|${r.modelId}|${r.slotId}`} data-testid="swap-record" data-action={r.action} data-cause={r.cause}>
                  <td className="num">{formatClock(r.atMs)}</td>
                  <td>{ACTION_WORDS[r.action] ?? r.action}</td>
                  <td>{r.modelId}</td>
                  {/* A slot the catalog no longer has is named by its id. */}
                  <td className="mono">{gpusOf.get(r.slotId) ?? r.slotId}</td>
                  <td>{describeSwapCause(r)}</td>
                  <td>
                    {r.outcome && <span className={`badge badge-${OUTCOME_BADGE[r.outcome]}`}>{r.outcome}</span>}
                    {r.fallback && (
                      <span className="swap-fallback" data-testid="swap-fallback" title="The server was stopped instead; the next load is a cold one">
                        {r.outcome ? ' ' : ''}stopped instead: {r.fallback}
                      </span>
                    )}
                  </td>
                  <td className="num">{r.durationMs === undefined ? '' : formatDuration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
