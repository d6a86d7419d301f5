import type { EngineState } from '../../../shared/engine-state.js';
import { formatSlotGpus } from '../engine/format-slot-gpus.js';
import { formatDuration } from '../../../shared/format-duration.js';
import { useNow } from '../switch/use-now.js';

/**
 * What waits on the backend: the switch under way, the switches queued behind it, and the client
 * requests waiting for their model or, under a model's maxConcurrent, for a free place.
 */
export function QueuePanel({ state }: { state: EngineState }) {
  const waiting = state.requests.filter((r) => r.state === 'waiting' || r.state === 'queued');
  const limitOf = (modelId: string) => state.models.find((m) => m.id === modelId)?.limit;
  const now = useNow(1000, waiting.length > 0);
  const inFlight = (modelId: string | null) => state.models.find((m) => m.id === modelId)?.inFlight ?? 0;
  const busy = state.slots.some((s) => s.pending || s.queue.length > 0) || waiting.length > 0;
  // With one slot "where" goes without saying.
  const where = (gpus: number[] | null | undefined) => (state.slots.length > 1 ? ` on ${formatSlotGpus(gpus)}` : '');
  return (
    <section className="panel queue-panel" aria-label="Switch queue" data-testid="switch-queue">
      <h2 className="section-title">Queue</h2>
      {!busy && <p className="dim">No switches or requests waiting.</p>}
      {state.slots.map((slot) => (
        <div key={slot.id}>
          {slot.pending && (
            <p data-testid="queue-pending">
              Under way{where(slot.gpus)}: <strong>{slot.pending.modelId}</strong> ({slot.pending.cause}, {plural(slot.pending.waiters, 'caller')} waiting)
              {slot.draining && slot.modelId && ` — draining ${slot.modelId}: ${plural(inFlight(slot.modelId), 'request')} in flight`}
            </p>
          )}
          {slot.queue.length > 0 && (
            <ol className="queue-list" aria-label={`Queued switches on ${formatSlotGpus(slot.gpus)}`}>
              {slot.queue.map((q, i) => (
                <li key={`${q.modelId}-${i}`} data-testid="queue-item">
                  {q.modelId} ({q.cause}, {plural(q.waiters, 'caller')} waiting)
                </li>
              ))}
            </ol>
          )}
        </div>
      ))}
      {waiting.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" aria-label="Waiting requests">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Model</th>
                <th scope="col">Waiting</th>
                <th scope="col">Kind</th>
                <th scope="col">For</th>
                <th scope="col" className="col-optional">
                  Request
                </th>
              </tr>
            </thead>
            <tbody>
              {waiting.map((r) => (
                <tr key={r.id} data-testid="waiting-request">
                  <td className="num">{r.position ?? ''}</td>
                  <td>{r.modelId}</td>
                  <td className="num">{formatDuration(now - r.sinceMs)}</td>
                  <td>{r.stream ? 'stream' : 'request'}</td>
                  <td>{r.state === 'queued' ? `a free place (${limitOf(r.modelId)?.maxConcurrent ?? '?'} at once)` : 'its model'}</td>
                  <td className="col-optional mono">{r.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
