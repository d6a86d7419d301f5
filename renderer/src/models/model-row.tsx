import type { ModelView, SlotView } from '../../../shared/engine-state.js';
import type { FitEstimate } from '../../../shared/fit-estimate.js';
import { FIT_LABELS } from './fit-verdict.js';
import { LOAD_PHASE_LABELS } from '../../../shared/load-phase.js';
import { formatSlotGpus } from '../engine/format-slot-gpus.js';
import { formatDuration } from '../../../shared/format-duration.js';
import { IdleCountdown } from './idle-countdown.js';
import { isBusyWith, type ModelsAction } from './models-store.js';
import { StatusBadge } from './status-badge.js';

export interface ModelActions {
  onSwitch(id: string): void;
  onUnload(id: string): void;
  onEdit(id: string): void;
  onRemove(id: string): void;
}

/** What the table knows about a model beyond its view: its slot, its place in a queue, the catalog's lists. */
export interface ModelRowFacts {
  active: boolean;
  queuedAt: number | undefined;
  slot: SlotView | undefined;
  preload: boolean;
  isDefault: boolean;
  /** The fit estimate on its GPUs as they are now (null: none yet, or nothing to read). */
  fit?: FitEstimate | null;
}

/** One catalog model: name with its markers, state (progress, queue place, idle countdown), slot, and its actions. */
export function ModelRow({ model: m, facts, busy, actions }: { model: ModelView; facts: ModelRowFacts; busy: ModelsAction | null; actions: ModelActions }) {
  const { active, queuedAt, slot } = facts;
  const switching = isBusyWith(busy, 'switch', m.id);
  const unloading = isBusyWith(busy, 'unload', m.id);
  const switchable = m.kind !== 'upstream';
  const canSwitch = switchable && !(active && m.status === 'loaded') && m.status !== 'loading' && !switching;
  // A sleeping (warm) model's server still runs: Switch wakes it, Unload stops it.
  const canUnload = switchable && (m.status === 'loaded' || m.status === 'sleeping') && !unloading;
  const asleep = m.status === 'sleeping';
  const slotHere = slot?.modelId === m.id ? slot.status : undefined;
  return (
    <tr data-testid={`model-row-${m.id}`} data-active={active ? 'true' : undefined} className={active ? 'row-active' : undefined}>
      <th scope="row" className="model-name">
        <span className="model-label">{m.label}</span>
        {active && <span className="tag tag-active">active</span>}
        {m.pinned && (
          <span className="tag tag-pinned" data-testid={`pinned-${m.id}`} title="Pinned: a request for another model never evicts it">
            pinned
          </span>
        )}
        {m.warm && (
          <span className="tag tag-warm" data-testid={`warm-${m.id}`} title="Warm: put to sleep instead of stopped when another model needs the GPUs; comes back in seconds">
            warm
          </span>
        )}
        {facts.preload && (
          <span className="tag" data-testid={`preload-${m.id}`} title="Loaded when the engine starts (catalog preload)">
            preload
          </span>
        )}
        {facts.isDefault && (
          <span className="tag" data-testid={`default-${m.id}`} title="The engine returns to it after an idle unload (catalog defaultModel)">
            default
          </span>
        )}
        {m.kind !== 'launch' && <span className="tag">{m.kind}</span>}
        {facts.fit && FIT_LABELS[facts.fit.verdict] !== null && (
          <span className={`tag${facts.fit.verdict === 'will_not_fit' ? ' tag-bad' : ''}`} data-testid={`fit-${m.id}`} data-verdict={facts.fit.verdict} title={`Fit estimate: ${facts.fit.summary}`}>
            {FIT_LABELS[facts.fit.verdict]}
          </span>
        )}
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
        {slotHere === 'waking' && <span className="row-progress">Waking…</span>}
        {slotHere === 'releasing' && <span className="row-progress">Going to sleep…</span>}
        {asleep && slotHere !== 'waking' && slotHere !== 'releasing' && <span className="row-note">GPU memory released</span>}
        {queuedAt !== undefined && <span className="tag">queued #{queuedAt}</span>}
        {(m.status === 'loaded' || asleep) && m.idleUnloadAtMs !== undefined && <IdleCountdown atMs={m.idleUnloadAtMs} testId={`idle-${m.id}`} />}
      </td>
      <td className="num">{m.tp}</td>
      <td className="mono" title={slot ? `slot ${slot.id}: ${formatSlotGpus(slot.gpus)}, port ${slot.port}` : undefined}>
        <span>{m.kind === 'upstream' ? '—' : (m.gpus?.join(', ') ?? 'all')}</span>
        {slot && <span className="dim slot-port"> :{slot.port}</span>}
      </td>
      <td className="col-optional">{m.typicalLoadMs === null ? '—' : formatDuration(m.typicalLoadMs)}</td>
      <td className="num col-optional" title={m.limit ? `at most ${m.limit.maxConcurrent} at once (maxConcurrent), ${m.limit.maxQueued} more may wait (maxQueued)` : undefined}>
        {m.limit ? `${m.inFlight}/${m.limit.maxConcurrent}` : m.inFlight}
        {m.queued > 0 && <span className="dim"> +{m.queued} queued</span>}
      </td>
      <td className="col-optional failure-cell">
        {m.lastFailure ? (
          <span title={`${m.lastFailure.message} — ${m.lastFailure.hint}`}>
            {m.lastFailure.cause}: {m.lastFailure.message}
          </span>
        ) : (
          ''
        )}
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="primary"
          data-testid={`switch-${m.id}`}
          aria-label={`Switch to ${m.id}`}
          title={asleep ? 'Wakes it: back in seconds' : undefined}
          disabled={!canSwitch}
          onClick={() => actions.onSwitch(m.id)}
        >
          {switching ? 'Switching…' : 'Switch'}
        </button>
        {switchable && (
          <button
            type="button"
            data-testid={`unload-${m.id}`}
            aria-label={`Unload ${m.id}`}
            title={asleep ? 'Stops its sleeping server; the next load is a cold one' : undefined}
            disabled={!canUnload}
            onClick={() => actions.onUnload(m.id)}
          >
            {unloading ? 'Unloading…' : 'Unload'}
          </button>
        )}
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
