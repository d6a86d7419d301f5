// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState, SwapRecord } from '../../../shared/engine-state.js';
import { ApiHub } from '../api/api-hub.js';
import { useEngineStore } from '../engine/engine-store.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { CODER_ID, sampleMultiSlotState } from '../engine/sample-multi-slot-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createSwapHistoryStore, SWAPS_KEPT } from './swap-history-store.js';
import { createSwitchStore } from './switch-store.js';
import { SwitchScreen } from './switch-screen.js';

const T = new Date(2026, 5, 11, 9, 0, 0).getTime();

/** Oldest first, as `models.swapHistory` answers. */
const HISTORY: SwapRecord[] = [
  { atMs: T, action: 'load', modelId: CODER_ID, slotId: 'gpu5', cause: 'preload', forModel: CODER_ID, outcome: 'ready', durationMs: 7_000 },
  { atMs: T + 60_000, action: 'unload', modelId: 'kat-dev-awq-8bit', slotId: 'gpu4-5', cause: 'evict', forModel: 'mistral-large-2411-awq' },
  { atMs: T + 61_000, action: 'load', modelId: 'qwen2.5-7b-instruct', slotId: 'gpu0', cause: 'request', forModel: 'qwen2.5-7b-instruct', requestId: 'req-12', outcome: 'failed', durationMs: 65_000 },
];

let transport: FakeTransport;
const disposers: (() => void)[] = [];
afterEach(() => {
  cleanup();
  for (const d of disposers.splice(0)) d();
});

function setup(state: EngineState, swapHistory: () => Promise<SwapRecord[]> = async () => HISTORY) {
  transport = createFakeTransport({
    'state.get': async () => state,
    'models.loadHistory': async () => [],
    'models.swapHistory': swapHistory,
    'logs.tail': async () => [],
  });
  const hub = new ApiHub(transport);
  disposers.push(useEngineStore.getState().init(hub));
  const store = createSwitchStore(hub);
  const swaps = createSwapHistoryStore(hub);
  disposers.push(
    () => store.getState().dispose(),
    () => swaps.getState().dispose(),
  );
  render(<SwitchScreen store={store} swaps={swaps} />);
}

const cells = (row: HTMLElement) =>
  within(row)
    .getAllByRole('cell')
    .map((c) => c.textContent);

describe('Switch screen with several slots', () => {
  it('shows a panel per slot that is not stopped, each titled with its GPUs', async () => {
    setup(sampleMultiSlotState());
    await screen.findByTestId('slot-gpu1-2-3-4');
    const panels = screen.getAllByRole('region').filter((r) => r.classList.contains('slot-panel'));
    expect(panels.map((p) => within(p).getByTestId('slot-gpus').textContent)).toEqual(['GPU 0 · port 8001', 'GPUs 1, 2, 3, 4 · port 8002', 'GPU 5 · port 8004']);
    expect(panels.map((p) => within(p).getByTestId('switch-summary').textContent)).toEqual(['qwen2.5-7b-instruct is ready', 'Switching to mistral-large-2411-awq…', 'qwen2.5-coder-7b is ready']);
    expect(screen.queryByTestId('slot-gpu4-5')).toBeNull();
    expect(within(screen.getByTestId('slot-gpu1-2-3-4')).getByTestId('phase-weights').getAttribute('data-state')).toBe('current');
  });

  it('with every slot stopped shows one panel; with no slots, says there are none', async () => {
    setup(sampleEngineState({}, { slots: [sampleEngineState().slots[0]!, { ...sampleEngineState().slots[0]!, id: 'gpu5', gpus: [5] }] }));
    await waitFor(() => expect(screen.getAllByTestId('switch-summary')).toHaveLength(1));
    expect(screen.getByTestId('switch-summary').textContent).toBe('No model loaded');

    act(() => transport.emit({ type: 'state', state: sampleEngineState({}, { slots: [] }) }));
    expect(screen.queryByTestId('switch-summary')).toBeNull();
    expect(screen.getByText(/No backend slots/)).toBeTruthy();
  });

  it('lists the swap history newest first with slot GPUs, cause and outcome, and adds live swap events', async () => {
    setup(sampleMultiSlotState());
    const table = await screen.findByTestId('swap-history');
    await waitFor(() => expect(within(table).getAllByTestId('swap-record')).toHaveLength(3));
    const rows = within(table).getAllByTestId('swap-record');
    expect(rows.map((r) => cells(r).slice(1))).toEqual([
      ['load', 'qwen2.5-7b-instruct', 'GPU 0', 'request req-12', 'failed', '1m05s'],
      ['unload', 'kat-dev-awq-8bit', 'GPUs 4, 5', 'evicted for mistral-large-2411-awq', '', ''],
      ['load', CODER_ID, 'GPU 5', 'preload', 'ready', '0m07s'],
    ]);
    expect(transport.calls.find((c) => c.method === 'models.swapHistory')?.params).toEqual({ limit: SWAPS_KEPT });

    const idle: SwapRecord = { atMs: T + 400_000, action: 'unload', modelId: 'qwen2.5-7b-instruct', slotId: 'gpu0', cause: 'idle' };
    act(() => transport.emit({ type: 'swap', record: idle }, { type: 'swap', record: HISTORY[2]! }));
    const after = within(table).getAllByTestId('swap-record');
    expect(after).toHaveLength(4);
    expect(cells(after[0]!).slice(1, 5)).toEqual(['unload', 'qwen2.5-7b-instruct', 'GPU 0', 'idle']);
  });

  it('keeps live swap events that arrive before the history answers, and bounds the list', async () => {
    let answer: (records: SwapRecord[]) => void = () => undefined;
    setup(sampleMultiSlotState(), () => new Promise((resolve) => (answer = resolve)));
    const table = await screen.findByTestId('swap-history');
    const live: SwapRecord = { atMs: T + 500_000, action: 'load', modelId: CODER_ID, slotId: 'gpu5', cause: 'manual', outcome: 'ready', durationMs: 1 };
    act(() => transport.emit({ type: 'swap', record: live }));
    const many = Array.from({ length: SWAPS_KEPT + 20 }, (_, i): SwapRecord => ({ atMs: T + i, action: 'unload', modelId: 'kat-dev-awq-8bit', slotId: 'gone', cause: 'idle' }));
    await act(async () => answer(many));
    const rows = within(table).getAllByTestId('swap-record');
    expect(rows).toHaveLength(SWAPS_KEPT);
    expect(cells(rows[0]!).slice(1, 5)).toEqual(['load', CODER_ID, 'GPU 5', 'manual']);
    // A slot the engine no longer lists is named by its id.
    expect(cells(rows[1]!)[3]).toBe('gone');
  });

  it('shows warm models put to sleep and woken, with the wake’s time and outcome, and why one was stopped instead', async () => {
    const warm: SwapRecord[] = [
      { atMs: T, action: 'sleep', modelId: 'qwen2.5-7b-instruct', slotId: 'gpu0', cause: 'evict', forModel: 'kat-dev-awq-8bit', durationMs: 1_200 },
      { atMs: T + 60_000, action: 'wake', modelId: 'qwen2.5-7b-instruct', slotId: 'gpu0', cause: 'request', requestId: 'req-3', outcome: 'ready', durationMs: 3_400 },
      { atMs: T + 90_000, action: 'wake', modelId: CODER_ID, slotId: 'gpu5', cause: 'manual', outcome: 'failed', durationMs: 120_000, fallback: 'wake timed out after 120 s' },
      { atMs: T + 95_000, action: 'sleep', modelId: 'qwen2.5-7b-instruct', slotId: 'gpu0', cause: 'evict', forModel: CODER_ID, fallback: 'release_memory_occupation answered 500' },
    ];
    setup(sampleMultiSlotState(), async () => warm);
    const table = await screen.findByTestId('swap-history');
    await waitFor(() => expect(within(table).getAllByTestId('swap-record')).toHaveLength(4));
    const rows = within(table).getAllByTestId('swap-record');
    expect(rows.map((r) => cells(r).slice(1))).toEqual([
      ['put to sleep', 'qwen2.5-7b-instruct', 'GPU 0', `evicted for ${CODER_ID}`, 'stopped instead: release_memory_occupation answered 500', ''],
      ['woken', CODER_ID, 'GPU 5', 'manual', 'failed stopped instead: wake timed out after 120 s', '2m00s'],
      ['woken', 'qwen2.5-7b-instruct', 'GPU 0', 'request req-3', 'ready', '0m03s'],
      ['put to sleep', 'qwen2.5-7b-instruct', 'GPU 0', 'evicted for kat-dev-awq-8bit', '', '0m01s'],
    ]);
    expect(rows.map((r) => r.dataset['action'])).toEqual(['sleep', 'wake', 'wake', 'sleep']);
  });
});
