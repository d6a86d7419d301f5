import type { ModelStatus } from '../../../shared/engine-state.js';
import type { Engine } from '../engine-api.js';

/** One entry of GET /v1/models: OpenAI's model object plus the llama.cpp-router `status` Open WebUI reads. */
export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  name: string;
  status: { value: ModelStatus };
  /** Set on alias entries: the model id the alias names. */
  alias_of?: string;
}

/** Every catalog model (ids and aliases) with its state; from memory, never triggers a load. */
export function listModels(engine: Engine): { object: 'list'; data: ModelCard[] } {
  const state = engine.state();
  const created = Math.floor(state.startedAtMs / 1000);
  const data: ModelCard[] = [];
  for (const model of state.models) {
    const base = { object: 'model' as const, created, owned_by: 'sglang-switchboard', name: model.label, status: { value: model.status } };
    data.push({ id: model.id, ...base });
    for (const alias of model.aliases) data.push({ id: alias, ...base, alias_of: model.id });
  }
  return { object: 'list', data };
}

/** One model card by id or alias, or null. */
export function modelCard(engine: Engine, name: string): ModelCard | null {
  return listModels(engine).data.find((card) => card.id === name) ?? null;
}
