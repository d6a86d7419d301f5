import type { EngineState, ModelView, SlotView } from '../../../shared/engine-state.js';
import { sampleEngineState, sampleModels, sampleSlot } from './sample-engine-state.js';

// An engine state with several slots at once, on the demo's six GPUs plus a coder model on GPU 5:
// qwen (GPU 0) and coder (GPU 5) ready, mistral (GPUs 1–4) loading, kat-dev's slot (GPUs 4–5)
// stopped. Coder is pinned and preloaded; qwen is the default model and idles out at `idleUnloadAtMs`.
// For renderer tests; nothing in the app imports this.

export const CODER_ID = 'qwen2.5-coder-7b';

/** The four slots, in the engine's order (by slot id). */
export function sampleMultiSlots(): SlotView[] {
  return [
    sampleSlot({ id: 'gpu0', gpus: [0], port: 8001, status: 'ready', modelId: 'qwen2.5-7b-instruct', readyAtMs: 1_750_000_010_000 }),
    sampleSlot({
      id: 'gpu1-2-3-4',
      gpus: [1, 2, 3, 4],
      port: 8002,
      status: 'loading',
      modelId: 'mistral-large-2411-awq',
      progress: { phase: 'weights', phaseFraction: 0.44, detail: 'shard 4/9' },
      loadStartedAtMs: Date.now() - 20_000,
      etaMs: 150_000,
    }),
    sampleSlot({ id: 'gpu4-5', gpus: [4, 5], port: 8003 }),
    sampleSlot({ id: 'gpu5', gpus: [5], port: 8004, status: 'ready', modelId: CODER_ID, readyAtMs: 1_750_000_005_000 }),
  ];
}

/** The whole state; `idleUnloadAtMs` is qwen's idle unload (none when undefined). */
export function sampleMultiSlotState(options: { idleUnloadAtMs?: number } = {}, patch: Partial<EngineState> = {}): EngineState {
  const [qwen, mistral, kat] = sampleModels();
  const models: ModelView[] = [
    { ...qwen!, status: 'loaded', slotId: 'gpu0', idleUnloadS: 300, ...(options.idleUnloadAtMs === undefined ? {} : { idleUnloadAtMs: options.idleUnloadAtMs }) },
    { ...mistral!, status: 'loading', slotId: 'gpu1-2-3-4', progress: { phase: 'weights', phaseFraction: 0.44, detail: 'shard 4/9' }, etaMs: 150_000 },
    { ...kat!, slotId: 'gpu4-5' },
    {
      id: CODER_ID,
      label: 'Qwen2.5 Coder 7B',
      aliases: ['coder'],
      kind: 'launch',
      status: 'loaded',
      typicalLoadMs: 7_000,
      tp: 1,
      gpus: [5],
      inFlight: 0,
      queued: 0,
      slotId: 'gpu5',
      pinned: true,
      idleUnloadS: 0,
    },
  ];
  return sampleEngineState(
    {},
    {
      activeModel: 'qwen2.5-7b-instruct',
      activeModels: ['qwen2.5-7b-instruct', CODER_ID],
      slots: sampleMultiSlots(),
      models,
      preload: ['coder'],
      defaultModel: 'qwen',
      ...patch,
    },
  );
}
