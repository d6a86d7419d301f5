import type { EngineState, ModelView } from '../../../shared/engine-state.js';
import type { FitEstimate } from '../../../shared/fit-estimate.js';
import { activeModelIds } from '../engine/engine-store.js';
import { ModelRow, type ModelActions, type ModelRowFacts } from './model-row.js';
import type { ModelsAction } from './models-store.js';

/** The catalog's models with their state and slot, the active ones marked, and Switch / Unload / Edit / Remove per row. */
export function ModelTable({ state, busy, actions, fits = {} }: { state: EngineState; busy: ModelsAction | null; actions: ModelActions; fits?: Record<string, FitEstimate | null> }) {
  const facts = modelFacts(state);
  return (
    <div className="table-scroll">
      <table className="data-table model-table" aria-label="Models">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              TP
            </th>
            <th scope="col" title="The model's GPUs and its slot's port; models on the same GPUs share one slot">
              GPUs · port
            </th>
            <th scope="col" className="col-optional">
              Typical load
            </th>
            <th scope="col" className="num col-optional">
              In flight
            </th>
            <th scope="col" className="col-optional">
              Last failure
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {state.models.map((m) => (
            <ModelRow key={m.id} model={m} facts={{ ...facts(m), fit: fits[m.id] ?? null }} busy={busy} actions={actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Per model: active, queue place, slot, and whether the catalog preloads it or returns to it (lists may name aliases). */
function modelFacts(state: EngineState): (m: ModelView) => ModelRowFacts {
  const active = new Set(activeModelIds(state));
  const queued = new Map(state.slots.flatMap((s) => s.queue.map((q, i) => [q.modelId, i + 1] as const)));
  const slots = new Map(state.slots.map((s) => [s.id, s]));
  const named = (list: readonly string[], m: ModelView) => list.includes(m.id) || m.aliases.some((a) => list.includes(a));
  const defaults = state.defaultModel === null || state.defaultModel === undefined ? [] : [state.defaultModel];
  return (m) => ({
    active: active.has(m.id),
    queuedAt: queued.get(m.id),
    slot: m.slotId === undefined ? undefined : slots.get(m.slotId),
    preload: named(state.preload ?? [], m),
    isDefault: named(defaults, m),
  });
}
