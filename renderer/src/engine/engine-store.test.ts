import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState } from '../../../shared/engine-state.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport } from '../testing/fake-transport.js';
import { sampleEngineState } from './sample-engine-state.js';
import { activeModelIds, selectActiveModel, useEngineStore } from './engine-store.js';
import { CODER_ID, sampleMultiSlotState } from './sample-multi-slot-state.js';

let off: () => void = () => undefined;
afterEach(() => off());

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('engine store', () => {
  it('takes state.get, then every state event; refetches after a reconnect', async () => {
    let served: EngineState = sampleEngineState();
    const transport = createFakeTransport({ 'state.get': async () => served });
    off = useEngineStore.getState().init(new ApiHub(transport));
    await settle();
    expect(useEngineStore.getState()).toMatchObject({ state: served, connection: 'open' });

    const ready = sampleEngineState({ status: 'ready', modelId: 'mistral-large-2411-awq' });
    transport.emit({ type: 'state', state: ready });
    expect(selectActiveModel(useEngineStore.getState())?.id).toBe('mistral-large-2411-awq');

    transport.setConnection('closed');
    expect(useEngineStore.getState().connection).toBe('closed');
    served = sampleEngineState({ status: 'ready', modelId: 'qwen2.5-7b-instruct' });
    transport.setConnection('open');
    await settle();
    expect(useEngineStore.getState().state?.activeModel).toBe('qwen2.5-7b-instruct');
    expect(transport.calls.filter((c) => c.method === 'state.get')).toHaveLength(2);
  });

  it('does not let a state.get answer overwrite a newer event', async () => {
    let answer: (s: EngineState) => void = () => undefined;
    const transport = createFakeTransport({ 'state.get': () => new Promise((resolve) => (answer = resolve)) });
    off = useEngineStore.getState().init(new ApiHub(transport));
    const newer = sampleEngineState({ status: 'loading', modelId: 'kat-dev-awq-8bit' });
    transport.emit({ type: 'state', state: newer });
    answer(sampleEngineState());
    await settle();
    expect(useEngineStore.getState().state).toBe(newer);
  });

  it('stops listening to a hub it was switched away from', async () => {
    const first = createFakeTransport({ 'state.get': async () => sampleEngineState() });
    off = useEngineStore.getState().init(new ApiHub(first));
    const second = createFakeTransport({ 'state.get': async () => sampleEngineState() });
    off = useEngineStore.getState().init(new ApiHub(second));
    await settle();
    first.emit({ type: 'state', state: sampleEngineState({ status: 'ready', modelId: 'qwen2.5-7b-instruct' }) });
    expect(useEngineStore.getState().state?.activeModel).toBeNull();
  });

  it('lists every active model; an older engine that sends only activeModel counts as one', () => {
    expect(activeModelIds(sampleMultiSlotState())).toEqual(['qwen2.5-7b-instruct', CODER_ID]);
    expect(selectActiveModel({ state: sampleMultiSlotState() })?.id).toBe('qwen2.5-7b-instruct');
    const older = { ...sampleEngineState({ status: 'ready', modelId: 'kat-dev-awq-8bit' }), activeModels: undefined } as unknown as EngineState;
    expect(activeModelIds(older)).toEqual(['kat-dev-awq-8bit']);
    expect(activeModelIds(null)).toEqual([]);
  });
});
