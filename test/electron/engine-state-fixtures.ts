import type { EngineState, ModelView, SlotView } from '../../shared/engine-state.js';

/** The demo's three models plus an upstream one, as the engine reports them when nothing runs. */
export function models(): ModelView[] {
  const base = { kind: 'launch' as const, status: 'unloaded' as const, typicalLoadMs: null, tp: 1, inFlight: 0, queued: 0 };
  return [
    { ...base, id: 'qwen2.5-7b-instruct', label: 'Qwen2.5 7B Instruct', aliases: ['qwen'] },
    { ...base, id: 'mistral-large-2411-awq', label: 'Mistral Large 2411 (AWQ)', aliases: ['mistral'], tp: 4 },
    { ...base, id: 'kat-dev-awq-8bit', label: 'KAT-Dev 72B', aliases: ['kat-dev'], tp: 2 },
    { ...base, id: 'embed', label: 'Embeddings', aliases: [], kind: 'upstream', status: 'loaded' },
  ];
}

export function slot(patch: Partial<SlotView> = {}): SlotView {
  return { id: 'default', status: 'stopped', modelId: null, host: '127.0.0.1', port: 8001, queue: [], ...patch };
}

/** A state with `slot` and per-model patches (by id). */
export function engineState(slotPatch: Partial<SlotView> = {}, modelPatches: Record<string, Partial<ModelView>> = {}): EngineState {
  const s = slot(slotPatch);
  return {
    version: '0.1.0',
    startedAtMs: 0,
    activeModel: s.status === 'ready' ? s.modelId : null,
    activeModels: s.status === 'ready' && s.modelId ? [s.modelId] : [],
    preload: [],
    defaultModel: null,
    slots: [s],
    models: models().map((m) => ({ ...m, ...modelPatches[m.id] })),
    requests: [],
    configPath: '/tmp/switchboard.yaml',
    notices: [],
  };
}
