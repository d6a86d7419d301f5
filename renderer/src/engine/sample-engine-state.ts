import type { EngineState, ModelStatus, ModelView, SlotStatus, SlotView } from '../../../shared/engine-state.js';

// Engine states shaped like the demo's (`npm run demo`): three models on six simulated RTX 3090,
// one slot on 127.0.0.1:8001. For renderer tests; nothing in the app imports this.

/** The demo's three models, unloaded. */
export function sampleModels(): ModelView[] {
  return [
    { id: 'qwen2.5-7b-instruct', label: 'Qwen2.5 7B Instruct', aliases: ['qwen'], kind: 'launch', status: 'unloaded', typicalLoadMs: 6_000, tp: 1, gpus: [0], inFlight: 0, queued: 0 },
    {
      id: 'mistral-large-2411-awq',
      label: 'Mistral Large 2411 (AWQ)',
      aliases: ['mistral'],
      kind: 'launch',
      status: 'unloaded',
      typicalLoadMs: 242_000,
      tp: 4,
      gpus: [1, 2, 3, 4],
      inFlight: 0,
      queued: 0,
    },
    { id: 'kat-dev-awq-8bit', label: 'KAT-Dev 72B (AWQ 8-bit)', aliases: ['kat-dev'], kind: 'launch', status: 'unloaded', typicalLoadMs: null, tp: 2, gpus: [4, 5], inFlight: 0, queued: 0 },
  ];
}

/** A slot with nothing loaded. */
export function sampleSlot(overrides: Partial<SlotView> = {}): SlotView {
  return { id: 'main', status: 'stopped', modelId: null, host: '127.0.0.1', port: 8001, queue: [], ...overrides };
}

/** The model status a slot status stands for (a warm model's slot: releasing and sleeping = sleeping, waking = loading). */
function modelStatusOf(status: SlotStatus): ModelStatus {
  switch (status) {
    case 'ready':
      return 'loaded';
    case 'failed':
      return 'failed';
    case 'stopped':
      return 'unloaded';
    case 'releasing':
    case 'sleeping':
      return 'sleeping';
    default:
      return 'loading';
  }
}

/** A whole engine state; `slot` and `models` patch the defaults, model statuses follow the slot unless given. */
export function sampleEngineState(slot: Partial<SlotView> = {}, patch: Partial<EngineState> = {}): EngineState {
  const slotView = sampleSlot(slot);
  const models = sampleModels().map((m) => {
    if (m.id !== slotView.modelId) return m;
    const status = modelStatusOf(slotView.status);
    return {
      ...m,
      status,
      ...(slotView.progress && status === 'loading' ? { progress: slotView.progress } : {}),
      ...(slotView.failure ? { lastFailure: slotView.failure } : {}),
    } satisfies ModelView;
  });
  return {
    version: '0.1.0',
    startedAtMs: 1_750_000_000_000,
    activeModel: slotView.status === 'ready' ? slotView.modelId : null,
    activeModels: slotView.status === 'ready' && slotView.modelId ? [slotView.modelId] : [],
    preload: [],
    defaultModel: null,
    slots: [slotView],
    models,
    requests: [],
    configPath: '/tmp/sglang-switchboard-demo-1000/switchboard.yaml',
    notices: [],
    gpu: { available: true, gpuCount: 6 },
    ...patch,
  };
}
