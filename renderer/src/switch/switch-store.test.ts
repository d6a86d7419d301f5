import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState, LogLine } from '../../../shared/engine-state.js';
import { ApiHub } from '../api/api-hub.js';
import { sampleEngineState, sampleSlot } from '../engine/sample-engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';
import { createFakeTransport } from '../testing/fake-transport.js';
import { createSwitchStore, type SwitchStore } from './switch-store.js';
import { KAT_OOM, LOAD_AT, MISTRAL_READY, MISTRAL_RECORD, katFailureViews, mistralSwitchViews } from './switch-fixtures.js';

let dispose: (() => void)[] = [];
afterEach(() => {
  for (const d of dispose) d();
  dispose = [];
});

async function setup(initial: EngineState, logs: LogLine[] = []) {
  let nowMs = 0;
  const transport = createFakeTransport({
    'state.get': async () => initial,
    'models.loadHistory': async () => [],
    'logs.tail': async () => logs,
  });
  const hub = new ApiHub(transport);
  dispose.push(useEngineStore.getState().init(hub));
  await settle();
  const store: SwitchStore = createSwitchStore(hub, { now: () => nowMs });
  dispose.push(() => store.getState().dispose());
  const emitSlot = (atMs: number, slot: EngineState['slots'][number]) => {
    nowMs = atMs;
    transport.emit({ type: 'state', state: sampleEngineState(slot) });
  };
  return { transport, store, emitSlot };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('switch store', () => {
  it('folds real-shaped state events into the slot track and takes the load record', async () => {
    const { transport, store, emitSlot } = await setup(sampleEngineState({ status: 'ready', modelId: 'qwen2.5-7b-instruct' }));
    expect(store.getState().tracks[0]).toMatchObject({ kind: 'idle', status: 'ready', modelId: 'qwen2.5-7b-instruct' });
    for (const view of mistralSwitchViews().slice(0, 6)) emitSlot(view.atMs, view.slot);
    expect(store.getState().tracks[0]).toMatchObject({ active: true, phase: 'weights', detail: 'shard 4/9', etaMs: 150_000 });

    transport.emit({ type: 'load', record: MISTRAL_RECORD });
    emitSlot(LOAD_AT + 242_000, MISTRAL_READY);
    const state = store.getState();
    expect(state.tracks[0]).toMatchObject({ outcome: 'ready', recorded: true });
    expect(state.history).toEqual([MISTRAL_RECORD]);
    expect(state.lastEnded?.track.outcome).toBe('ready');
  });

  it('keeps the failure with the lines it carries, and fetches the log tail for one that has none', async () => {
    const logs: LogLine[] = [
      { seq: 1, atMs: 1, stream: 'stdout', text: 'qwen line', modelId: 'qwen2.5-7b-instruct' },
      { seq: 2, atMs: 2, stream: 'stderr', text: 'torch.OutOfMemoryError: CUDA out of memory.', modelId: 'kat-dev-awq-8bit' },
    ];
    const { transport, store, emitSlot } = await setup(sampleEngineState(), logs);
    for (const view of katFailureViews()) emitSlot(view.atMs, view.slot);
    expect(store.getState().tracks[0]?.failure).toEqual(KAT_OOM);
    expect(transport.calls.some((c) => c.method === 'logs.tail')).toBe(false);

    const bare = { ...KAT_OOM, lastLines: [], atMs: KAT_OOM.atMs + 1 };
    for (const view of katFailureViews(bare)) emitSlot(view.atMs + 100_000, view.slot);
    await settle();
    expect(store.getState().failureLines['main']).toEqual(['torch.OutOfMemoryError: CUDA out of memory.']);
  });

  it('loads the history and merges live load events without duplicates', async () => {
    const older = { ...MISTRAL_RECORD, startedAtMs: 1, endedAtMs: 2, outcome: 'failed' as const };
    const transport = createFakeTransport({
      'state.get': async () => sampleEngineState(sampleSlot()),
      'models.loadHistory': async () => [older, MISTRAL_RECORD],
    });
    const hub = new ApiHub(transport);
    dispose.push(useEngineStore.getState().init(hub));
    const store = createSwitchStore(hub);
    dispose.push(() => store.getState().dispose());
    transport.emit({ type: 'load', record: MISTRAL_RECORD });
    await store.getState().loadHistory();
    expect(store.getState().history).toEqual([older, MISTRAL_RECORD]);
  });
});
