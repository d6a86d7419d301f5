import { describe, expect, it } from 'vitest';
import type { EngineState } from '../../shared/engine-state.js';
import { trayMenuItems, trayTooltip, type TrayItem } from '../../electron/main/tray-menu.js';
import { engineState } from './engine-state-fixtures.js';

const QWEN = 'qwen2.5-7b-instruct';
const MISTRAL = 'mistral-large-2411-awq';
const KAT = 'kat-dev-awq-8bit';
const OOM = { cause: 'oom' as const, message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic or contextLength', atMs: 5 };

/** The model rows only: [label, checked]. */
function modelRows(items: TrayItem[]): Array<[string, boolean]> {
  return items.filter((i) => i.type === 'radio').map((i) => [i.label!, i.checked ?? false]);
}

describe('trayMenuItems', () => {
  const cases: Array<{ name: string; state: EngineState; status: string; rows: Array<[string, boolean]>; canStop: boolean }> = [
    {
      name: 'nothing loaded',
      state: engineState(),
      status: 'no model loaded',
      rows: [['Qwen2.5 7B Instruct', false], ['Mistral Large 2411 (AWQ)', false], ['KAT-Dev 72B', false]],
      canStop: false,
    },
    {
      name: 'qwen ready: checked',
      state: engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { status: 'loaded' } }),
      status: 'qwen ready',
      rows: [['Qwen2.5 7B Instruct', true], ['Mistral Large 2411 (AWQ)', false], ['KAT-Dev 72B', false]],
      canStop: true,
    },
    {
      name: 'mistral loading weights: percentage, nothing checked',
      state: engineState(
        { status: 'loading', modelId: MISTRAL, progress: { phase: 'weights', phaseFraction: 0.42, detail: 'shard 4/9' } },
        { [MISTRAL]: { status: 'loading', progress: { phase: 'weights', phaseFraction: 0.42 } } },
      ),
      status: 'loading mistral: weights 42%',
      rows: [['Qwen2.5 7B Instruct', false], ['Mistral Large 2411 (AWQ) — loading 42%', false], ['KAT-Dev 72B', false]],
      canStop: true,
    },
    {
      name: 'a phase without a fraction',
      state: engineState({ status: 'loading', modelId: MISTRAL, progress: { phase: 'kv_cache' } }, { [MISTRAL]: { status: 'loading', progress: { phase: 'kv_cache' } } }),
      status: 'loading mistral: kv cache',
      rows: [['Qwen2.5 7B Instruct', false], ['Mistral Large 2411 (AWQ) — loading…', false], ['KAT-Dev 72B', false]],
      canStop: true,
    },
    {
      name: 'kat-dev failed: flagged',
      state: engineState({ status: 'failed', modelId: KAT, failure: OOM }, { [KAT]: { status: 'failed', lastFailure: OOM } }),
      status: 'kat-dev failed: CUDA out of memory while loading weights',
      rows: [['Qwen2.5 7B Instruct', false], ['Mistral Large 2411 (AWQ)', false], ['⚠ KAT-Dev 72B — failed', false]],
      canStop: true,
    },
    {
      name: 'qwen ready, a switch to mistral queued behind its requests',
      state: engineState(
        { status: 'ready', modelId: QWEN, draining: true, pending: { modelId: MISTRAL, waiters: 1, cause: 'request' }, queue: [{ modelId: KAT, waiters: 1, cause: 'request' }] },
        { [QWEN]: { status: 'loaded' }, [MISTRAL]: { status: 'loading' }, [KAT]: { status: 'loading' } },
      ),
      status: 'qwen ready · switching to mistral',
      rows: [['Qwen2.5 7B Instruct', true], ['Mistral Large 2411 (AWQ) — switching…', false], ['KAT-Dev 72B — queued', false]],
      canStop: true,
    },
    {
      name: 'stopping',
      state: engineState({ status: 'stopping', modelId: QWEN }),
      status: 'stopping qwen',
      rows: [['Qwen2.5 7B Instruct', false], ['Mistral Large 2411 (AWQ)', false], ['KAT-Dev 72B', false]],
      canStop: false,
    },
  ];

  it.each(cases)('$name', ({ state, status, rows, canStop }) => {
    const items = trayMenuItems(state);
    expect(items[0]).toEqual({ type: 'normal', label: status, enabled: false });
    expect(modelRows(items)).toEqual(rows);
    expect(items.find((i) => i.label === 'Stop model')).toMatchObject({ enabled: canStop, intent: { kind: 'stop' } });
    expect(items.slice(-2).map((i) => i.intent)).toEqual([{ kind: 'show' }, { kind: 'quit' }]);
  });

  it('switches by model id and never lists upstream models', () => {
    const items = trayMenuItems(engineState());
    expect(items.filter((i) => i.type === 'radio').map((i) => i.intent)).toEqual([QWEN, MISTRAL, KAT].map((model) => ({ kind: 'switch', model })));
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

  it('names a model without aliases by its id', () => {
    const state = engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { aliases: [] } });
    expect(trayTooltip(state)).toBe(`SGLang Switchboard — ${QWEN} ready`);
  });
});
