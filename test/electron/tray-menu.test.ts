import { describe, expect, it } from 'vitest';
import type { EngineState, SlotView } from '../../shared/engine-state.js';
import { trayMenuItems, trayTooltip, type TrayItem } from '../../electron/main/tray-menu.js';
import { engineState, models, slot } from './engine-state-fixtures.js';

const QWEN = 'qwen2.5-7b-instruct';
const MISTRAL = 'mistral-large-2411-awq';
const KAT = 'kat-dev-awq-8bit';
const CODER = 'qwen2.5-coder-7b';
const OOM = { cause: 'oom' as const, message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic or contextLength', atMs: 5 };

/** The model rows only: [label, checked]. */
function modelRows(items: TrayItem[]): Array<[string, boolean]> {
  return items.filter((i) => i.type === 'checkbox').map((i) => [i.label!, i.checked ?? false]);
}

/** Several slots at once: qwen on GPU 0 and coder on GPU 5 ready, mistral loading on GPUs 1–4 (the `models` fixture plus coder). */
function multiSlotState(patch: Partial<EngineState> = {}): EngineState {
  const slots: SlotView[] = [
    slot({ id: 'gpu0', gpus: [0], port: 8001, status: 'ready', modelId: QWEN }),
    slot({ id: 'gpu1-2-3-4', gpus: [1, 2, 3, 4], port: 8002, status: 'loading', modelId: MISTRAL, progress: { phase: 'weights', phaseFraction: 0.4 } }),
    slot({ id: 'gpu4-5', gpus: [4, 5], port: 8003, status: 'stopped', modelId: null }),
    slot({ id: 'gpu5', gpus: [5], port: 8004, status: 'ready', modelId: CODER }),
  ];
  const loaded = { status: 'loaded' as const };
  return {
    ...engineState(),
    activeModel: QWEN,
    activeModels: [QWEN, CODER],
    slots,
    models: [
      ...models().map((m) => (m.id === QWEN ? { ...m, ...loaded } : m.id === MISTRAL ? { ...m, status: 'loading' as const, progress: { phase: 'weights' as const, phaseFraction: 0.4 } } : m)),
      { ...models()[0]!, id: CODER, label: 'Qwen2.5 Coder 7B', aliases: ['coder'], ...loaded },
    ],
    ...patch,
  };
}

describe('trayMenuItems', () => {
  const cases: Array<{ name: string; state: EngineState; status: string; rows: Array<[string, boolean]>; canStop: boolean }> = [
    {
      name: 'nothing loaded',
      state: engineState(),
      status: 'no model loaded',
      rows: [
        ['Qwen2.5 7B Instruct', false],
        ['Mistral Large 2411 (AWQ)', false],
        ['KAT-Dev 72B', false],
      ],
      canStop: false,
    },
    {
      name: 'qwen ready: checked',
      state: engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { status: 'loaded' } }),
      status: 'qwen ready',
      rows: [
        ['Qwen2.5 7B Instruct', true],
        ['Mistral Large 2411 (AWQ)', false],
        ['KAT-Dev 72B', false],
      ],
      canStop: true,
    },
    {
      name: 'mistral loading weights: percentage, nothing checked',
      state: engineState(
        { status: 'loading', modelId: MISTRAL, progress: { phase: 'weights', phaseFraction: 0.42, detail: 'shard 4/9' } },
        { [MISTRAL]: { status: 'loading', progress: { phase: 'weights', phaseFraction: 0.42 } } },
      ),
      status: 'loading mistral: weights 42%',
      rows: [
        ['Qwen2.5 7B Instruct', false],
        ['Mistral Large 2411 (AWQ) — loading 42%', false],
        ['KAT-Dev 72B', false],
      ],
      canStop: true,
    },
    {
      name: 'a phase without a fraction',
      state: engineState({ status: 'loading', modelId: MISTRAL, progress: { phase: 'kv_cache' } }, { [MISTRAL]: { status: 'loading', progress: { phase: 'kv_cache' } } }),
      status: 'loading mistral: kv cache',
      rows: [
        ['Qwen2.5 7B Instruct', false],
        ['Mistral Large 2411 (AWQ) — loading…', false],
        ['KAT-Dev 72B', false],
      ],
      canStop: true,
    },
    {
      name: 'kat-dev failed: flagged',
      state: engineState({ status: 'failed', modelId: KAT, failure: OOM }, { [KAT]: { status: 'failed', lastFailure: OOM } }),
      status: 'kat-dev failed: CUDA out of memory while loading weights',
      rows: [
        ['Qwen2.5 7B Instruct', false],
        ['Mistral Large 2411 (AWQ)', false],
        ['⚠ KAT-Dev 72B — failed', false],
      ],
      canStop: true,
    },
    {
      name: 'qwen ready, a switch to mistral queued behind its requests',
      state: engineState(
        { status: 'ready', modelId: QWEN, draining: true, pending: { modelId: MISTRAL, waiters: 1, cause: 'request' }, queue: [{ modelId: KAT, waiters: 1, cause: 'request' }] },
        { [QWEN]: { status: 'loaded' }, [MISTRAL]: { status: 'loading' }, [KAT]: { status: 'loading' } },
      ),
      status: 'qwen ready · switching to mistral',
      rows: [
        ['Qwen2.5 7B Instruct', true],
        ['Mistral Large 2411 (AWQ) — switching…', false],
        ['KAT-Dev 72B — queued', false],
      ],
      canStop: true,
    },
    {
      name: 'stopping',
      state: engineState({ status: 'stopping', modelId: QWEN }),
      status: 'stopping qwen',
      rows: [
        ['Qwen2.5 7B Instruct', false],
        ['Mistral Large 2411 (AWQ)', false],
        ['KAT-Dev 72B', false],
      ],
      canStop: false,
    },
  ];

  it.each(cases)('$name', ({ state, status, rows, canStop }) => {
    const items = trayMenuItems(state);
    expect(items[0]).toEqual({ type: 'normal', label: status, enabled: false });
    expect(modelRows(items)).toEqual(rows);
    expect(items.find((i) => i.intent?.kind === 'stop')).toMatchObject({ label: 'Stop model', enabled: canStop });
    expect(items.slice(-2).map((i) => i.intent)).toEqual([{ kind: 'show' }, { kind: 'quit' }]);
  });

  it('checks every active model and marks the loading one; Stop stops them all', () => {
    const items = trayMenuItems(multiSlotState());
    expect(items[0]!.label).toBe('qwen, coder ready; loading mistral: weights 40%');
    expect(modelRows(items)).toEqual([
      ['Qwen2.5 7B Instruct', true],
      ['Mistral Large 2411 (AWQ) — loading 40%', false],
      ['KAT-Dev 72B', false],
      ['Qwen2.5 Coder 7B', true],
    ]);
    expect(items.find((i) => i.intent?.kind === 'stop')).toMatchObject({ label: 'Stop all models', enabled: true });
  });

  it('lists warm models asleep "(asleep)", switchable to wake them; says which are asleep, putting to sleep or waking', () => {
    // qwen ready on GPU 0; warm mistral and kat-dev asleep in slots of their own; Stop stops the sleeping servers too.
    const state = multiSlotState();
    state.slots[1] = { ...state.slots[1]!, id: 'gpu1-2-3-4.mistral', status: 'sleeping', progress: undefined };
    state.slots[2] = { ...state.slots[2]!, id: 'gpu4-5.kat', status: 'sleeping', modelId: KAT };
    state.models = state.models.map((m) => (m.id === MISTRAL || m.id === KAT ? { ...m, status: 'sleeping', warm: true, progress: undefined } : m));
    const items = trayMenuItems(state);
    expect(items[0]!.label).toBe('qwen, coder ready; mistral, kat-dev asleep');
    expect(modelRows(items)).toEqual([
      ['Qwen2.5 7B Instruct', true],
      ['Mistral Large 2411 (AWQ) (asleep)', false],
      ['KAT-Dev 72B (asleep)', false],
      ['Qwen2.5 Coder 7B', true],
    ]);
    expect(items.find((i) => i.label === 'KAT-Dev 72B (asleep)')).toMatchObject({ intent: { kind: 'switch', model: KAT } });
    expect(items.find((i) => i.intent?.kind === 'stop')).toMatchObject({ label: 'Stop all models', enabled: true });

    state.slots[1] = { ...state.slots[1]!, status: 'waking', pending: { modelId: MISTRAL, waiters: 1, cause: 'request' } };
    state.slots[2] = { ...state.slots[2]!, status: 'releasing' };
    state.models = state.models.map((m) => (m.id === MISTRAL ? { ...m, status: 'loading' } : m));
    const busy = trayMenuItems(state);
    expect(busy[0]!.label).toBe('qwen, coder ready; waking mistral; putting kat-dev to sleep');
    expect(modelRows(busy)[1]).toEqual(['Mistral Large 2411 (AWQ) — waking…', false]);
  });

  it('without slots (a catalog of upstream models only): nothing loaded, nothing to stop', () => {
    const items = trayMenuItems({ ...engineState(), slots: [] });
    expect(items[0]!.label).toBe('no model loaded');
    expect(items.find((i) => i.intent?.kind === 'stop')).toMatchObject({ enabled: false });
  });

  it('switches by model id and never lists upstream models', () => {
    const items = trayMenuItems(engineState());
    expect(items.filter((i) => i.type === 'checkbox').map((i) => i.intent)).toEqual([QWEN, MISTRAL, KAT].map((model) => ({ kind: 'switch', model })));
    expect(items.some((i) => i.label?.includes('Embeddings'))).toBe(false);
  });

  it('without an engine: says so, still offers Show and Quit', () => {
    expect(trayMenuItems(null).map((i) => i.label ?? '—')).toEqual(['Engine not reachable', '—', 'Show window', 'Quit SGLang Switchboard']);
  });

  it('an empty catalog says so', () => {
    const state = { ...engineState(), models: [] };
    expect(trayMenuItems(state).map((i) => i.label)).toContain('No models in the catalog');
  });
});

describe('trayTooltip', () => {
  it.each([
    [engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { status: 'loaded' } }), 'SGLang Switchboard — qwen ready'],
    [engineState({ status: 'loading', modelId: MISTRAL, progress: { phase: 'weights', phaseFraction: 0.4 } }), 'SGLang Switchboard — loading mistral: weights 40%'],
    [engineState({ status: 'starting', modelId: MISTRAL }), 'SGLang Switchboard — loading mistral: starting'],
    [engineState({ status: 'loading', modelId: MISTRAL, progress: { phase: 'cuda_graphs', phaseFraction: 0.83 } }), 'SGLang Switchboard — loading mistral: cuda graphs 83%'],
    [engineState({ status: 'failed', modelId: KAT, failure: OOM }), 'SGLang Switchboard — kat-dev failed: CUDA out of memory while loading weights'],
    [engineState(), 'SGLang Switchboard — no model loaded'],
    [null, 'SGLang Switchboard — engine not reachable'],
  ])('%#: %s', (state, tooltip) => {
    expect(trayTooltip(state as EngineState | null)).toBe(tooltip);
  });

  it('lists every active model, then what the other slots do', () => {
    expect(trayTooltip(multiSlotState())).toBe('SGLang Switchboard — qwen, coder ready; loading mistral: weights 40%');
    const failed = multiSlotState();
    failed.slots[1] = { ...failed.slots[1]!, status: 'failed', progress: undefined, failure: OOM };
    expect(trayTooltip(failed)).toBe('SGLang Switchboard — qwen, coder ready; mistral failed: CUDA out of memory while loading weights');
  });

  it('names a model without aliases by its id', () => {
    const state = engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { aliases: [] } });
    expect(trayTooltip(state)).toBe(`SGLang Switchboard — ${QWEN} ready`);
  });
});

describe('the app’s engine process in the tray', () => {
  it('says what happened to it while it is not serving, and offers a restart only once it gave up', () => {
    const restarting = { message: 'The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…', canRestart: false };
    expect(trayMenuItems(null, restarting).map((i) => i.label)).toEqual([restarting.message, undefined, 'Show window', 'Quit SGLang Switchboard']);
    expect(trayTooltip(null, restarting)).toBe(`SGLang Switchboard — ${restarting.message}`);

    const failed = { message: 'The engine stopped unexpectedly 6 times within 60 s (last: exit code 1); not restarting it by itself.', canRestart: true };
    const items = trayMenuItems(null, failed);
    expect(items[1]).toMatchObject({ label: 'Restart engine', intent: { kind: 'restart-engine' } });
    // A state wins: the engine answers, the process detail is stale.
    expect(trayMenuItems(engineState(), failed)[0]).toMatchObject({ label: 'no model loaded' });
  });
});
