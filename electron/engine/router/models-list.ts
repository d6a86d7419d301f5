import type { ModelStatus } from '../../../shared/engine-state.js';
import type { Engine } from '../engine-api.js';

/**
 * One entry of GET /v1/models: OpenAI's model object plus what llama.cpp's server adds and Open WebUI
 * reads — `status` (its router mode) and `meta` (`n_ctx`: the context length the model is served with,
 * when the catalog sets it).
 */
export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  name: string;
  status: { value: ModelStatus };
  meta?: { n_ctx: number };
  /** Set on alias entries: the model id the alias names. */
  alias_of?: string;
}

/** Every catalog model with its state (aliases too with `router.listAliases`); from memory, never triggers a load. */
export function listModels(engine: Engine): { object: 'list'; data: ModelCard[] } {
  const listAliases = engine.catalog().router.listAliases;
  const data: ModelCard[] = [];
  for (const card of modelCards(engine)) if (listAliases || card.alias_of === undefined) data.push(card);
  return { object: 'list', data };
}

/** One model card by id or alias (listed or not: a request by alias works either way), or null. */
export function modelCard(engine: Engine, name: string): ModelCard | null {
  return modelCards(engine).find((card) => card.id === name) ?? null;
}

function modelCards(engine: Engine): ModelCard[] {
  const state = engine.state();
  const created = Math.floor(state.startedAtMs / 1000);
  const contextOf = new Map(engine.catalog().models.map((m) => [m.id, m.contextLength]));
  const cards: ModelCard[] = [];
  for (const model of state.models) {
    const nCtx = contextOf.get(model.id);
    const base = { object: 'model' as const, created, owned_by: 'sglang-switchboard', name: model.label, status: { value: model.status }, ...(nCtx !== undefined ? { meta: { n_ctx: nCtx } } : {}) };
    cards.push({ id: model.id, ...base });
    for (const alias of model.aliases) cards.push({ id: alias, ...base, alias_of: model.id });
  }
  return cards;
}
