import type { EngineState, ModelView } from '../../../shared/engine-state.js';
import { LOAD_PHASE_LABELS } from '../../../shared/load-phase.js';
import { formatDuration } from '../switch/format-duration.js';
import { StatusBadge } from './status-badge.js';

export interface ModelActions {
  onSwitch(id: string): void;
  onEdit(id: string): void;
  onRemove(id: string): void;
}

/** The catalog's models with their state, the active one marked, and Switch / Edit / Remove per row. */
export function ModelTable({ state, busy, actions }: { state: EngineState; busy: string | null; actions: ModelActions }) {
  const queued = new Map(state.slots.flatMap((s) => s.queue.map((q, i) => [q.modelId, i + 1] as const)));
  return (
    <div className="table-scroll">
      <table className="data-table model-table" aria-label="Models">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">State</th>
            <th scope="col" className="num">TP</th>
            <th scope="col">GPUs</th>
            <th scope="col" className="col-optional">Typical load</th>
            <th scope="col" className="num col-optional">In flight</th>
            <th scope="col" className="col-optional">Last failure</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {state.models.map((m) => (
            <ModelRow key={m.id} model={m} active={state.activeModel === m.id} queuedAt={queued.get(m.id)} busy={busy} actions={actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ModelRow({ model: m, active, queuedAt, busy, actions }: { model: ModelView; active: boolean; queuedAt: number | undefined; busy: string | null; actions: ModelActions }) {
  const canSwitch = m.kind !== 'upstream' && !(active && m.status === 'loaded') && m.status !== 'loading' && busy !== m.id;
  return (
    <tr data-testid={`model-row-${m.id}`} data-active={active ? 'true' : undefined} className={active ? 'row-active' : undefined}>
      <th scope="row" className="model-name">
        <span className="model-label">{m.label}</span>
        {active && <span className="tag tag-active">active</span>}
        {m.kind !== 'launch' && <span className="tag">{m.kind}</span>}
        <span className="model-id mono">
          {m.id}
          {m.aliases.length > 0 && ` · ${m.aliases.join(', ')}`}
        </span>
      </th>
      <td>
        <StatusBadge status={m.status} />
        {m.status === 'loading' && m.progress && (
          <span className="row-progress">
            {' '}
            {LOAD_PHASE_LABELS[m.progress.phase]}
            {m.progress.phaseFraction !== undefined && ` ${Math.round(m.progress.phaseFraction * 100)}%`}
            {m.etaMs ? ` · ~${formatDuration(m.etaMs)} left` : ''}
          </span>
        )}
        {queuedAt !== undefined && <span className="tag">queued #{queuedAt}</span>}
      </td>
      <td className="num">{m.tp}</td>
      <td className="mono">{m.gpus?.join(', ') ?? '—'}</td>
      <td className="col-optional">{m.typicalLoadMs === null ? '—' : formatDuration(m.typicalLoadMs)}</td>
      <td className="num col-optional">{m.inFlight}</td>
      <td className="col-optional failure-cell">{m.lastFailure ? <span title={`${m.lastFailure.message} — ${m.lastFailure.hint}`}>{m.lastFailure.cause}: {m.lastFailure.message}</span> : ''}</td>
      <td className="row-actions">
        <button type="button" className="primary" data-testid={`switch-${m.id}`} aria-label={`Switch to ${m.id}`} disabled={!canSwitch} onClick={() => actions.onSwitch(m.id)}>
          {busy === m.id ? 'Switching…' : 'Switch'}
        </button>
        <button type="button" aria-label={`Edit ${m.id}`} onClick={() => actions.onEdit(m.id)}>
          Edit
        </button>
        <button type="button" aria-label={`Remove ${m.id}`} onClick={() => actions.onRemove(m.id)}>
          Remove
        </button>
      </td>
    </tr>
  );
}
