// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineState } from '../../../shared/engine-state.js';
import { ApiCallError, type ApiHandlers, type CatalogChange, type CatalogDocument } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { useEngineStore } from '../engine/engine-store.js';
import { CODER_ID, sampleMultiSlotState } from '../engine/sample-multi-slot-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { ModelsScreen } from './models-screen.js';
import { createModelsStores } from './models-stores.js';

// The Models screen with several slots: markers, idle countdown, Unload, a refusal by a pinned
// model, and the slot fields of the model form.

const QWEN = 'qwen2.5-7b-instruct';
const MISTRAL = 'mistral-large-2411-awq';
const KAT = 'kat-dev-awq-8bit';
const T = new Date(2026, 5, 11, 9, 0, 0).getTime();

const DOCUMENT: CatalogDocument = {
  path: '/c.yaml',
  text: 'models: []\n',
  revision: 'a'.repeat(64),
  models: [{ id: CODER_ID, aliases: ['coder'], modelPath: '/models/coder', tp: 1, torchCompile: false, gpus: [5], pinned: true, idleUnloadS: 0, port: 30010, extraArgs: [], env: {}, sampling: {} }],
  issues: [],
};

let transport: FakeTransport;
let offEngine: () => void = () => undefined;
afterEach(() => {
  cleanup();
  offEngine();
  vi.useRealTimers();
});

function setup(state: EngineState, handlers: Partial<ApiHandlers> = {}) {
  transport = createFakeTransport({
    'state.get': async () => state,
    'catalog.get': async () => DOCUMENT,
    'catalog.preview': async ({ change }) => ({ ok: true, issues: [], fieldIssues: {}, text: '', revision: DOCUMENT.revision, diff: [{ kind: 'add', text: `  - id: ${idOf(change)}`, newLine: 1 }] }),
    'models.unload': async () => ({ unloaded: true }),
    ...handlers,
  });
  const hub = new ApiHub(transport);
  offEngine = useEngineStore.getState().init(hub);
  render(<ModelsScreen stores={createModelsStores(hub, { debounceMs: 0 })} />);
}

function idOf(change: CatalogChange): string {
  return change.op === 'add' || change.op === 'edit' ? change.model.id : '';
}

/** qwen warm and asleep in a slot of its own (GPU 0, port 8011); mistral warm and waking in its own. */
function warmState(): EngineState {
  const state = sampleMultiSlotState();
  const qwenSlot = { ...state.slots[0]!, id: 'gpu0.qwen', port: 8011, status: 'sleeping' as const };
  const mistralSlot = { ...state.slots[1]!, id: 'gpu1-2-3-4.mistral', status: 'waking' as const, progress: undefined };
  return {
    ...state,
    activeModel: CODER_ID,
    activeModels: [CODER_ID],
    slots: [qwenSlot, mistralSlot, ...state.slots.slice(2)],
    models: state.models.map(({ progress: _progress, ...m }) =>
      m.id === QWEN ? { ...m, status: 'sleeping', warm: true, slotId: 'gpu0.qwen' } : m.id === MISTRAL ? { ...m, warm: true, slotId: 'gpu1-2-3-4.mistral' } : m,
    ),
  };
}

const callsOf = (method: string) => transport.calls.filter((c) => c.method === method).map((c) => c.params as Record<string, unknown>);
const row = (id: string) => screen.getByTestId(`model-row-${id}`);

describe('Models screen with several slots', () => {
  it('marks every active model, pinned, preload and default (by alias), and shows each slot’s port', async () => {
    setup(sampleMultiSlotState());
    await screen.findByTestId(`model-row-${CODER_ID}`);
    expect([QWEN, MISTRAL, KAT, CODER_ID].map((id) => row(id).dataset['active'] ?? '')).toEqual(['true', '', '', 'true']);
    expect(within(row(CODER_ID)).getByTestId(`pinned-${CODER_ID}`)).toBeTruthy();
    expect(within(row(CODER_ID)).getByTestId(`preload-${CODER_ID}`)).toBeTruthy();
    expect(within(row(QWEN)).getByTestId(`default-${QWEN}`)).toBeTruthy();
    expect(screen.queryAllByTestId(/^(pinned|preload|default)-/)).toHaveLength(3);
    expect(within(row(MISTRAL)).getByText('1, 2, 3, 4')).toBeTruthy();
    expect(within(row(MISTRAL)).getByText(':8002')).toBeTruthy();
    expect(within(row(CODER_ID)).getByText(':8004')).toBeTruthy();
  });

  it('counts down to the idle unload every second', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(T);
    setup(sampleMultiSlotState({ idleUnloadAtMs: T + 272_000 }));
    const countdown = await screen.findByTestId(`idle-${QWEN}`);
    expect(countdown.textContent).toBe('unloads in 4:32');
    act(() => vi.advanceTimersByTime(1_000));
    expect(countdown.textContent).toBe('unloads in 4:31');
    act(() => vi.advanceTimersByTime(271_000));
    expect(countdown.textContent).toBe('unloading…');
    expect(screen.queryByTestId(`idle-${CODER_ID}`)).toBeNull();
  });

  it('unloads one loaded model; models that are not loaded cannot be', async () => {
    setup(sampleMultiSlotState());
    const unload = (await screen.findByTestId(`unload-${QWEN}`)) as HTMLButtonElement;
    expect([MISTRAL, KAT].map((id) => (screen.getByTestId(`unload-${id}`) as HTMLButtonElement).disabled)).toEqual([true, true]);
    expect(unload.disabled).toBe(false);
    fireEvent.click(unload);
    await waitFor(() => expect(callsOf('models.unload')).toEqual([{ model: QWEN }]));
  });

  it('marks warm models; a sleeping one can be switched to (woken) and unloaded (stopped)', async () => {
    setup(warmState(), { 'models.switchTo': async () => warmState().slots[0]! });
    const qwen = await screen.findByTestId(`model-row-${QWEN}`);
    const tag = within(qwen).getByTestId(`warm-${QWEN}`);
    expect(tag.getAttribute('title')).toBe('Warm: put to sleep instead of stopped when another model needs the GPUs; comes back in seconds');
    expect(screen.queryAllByTestId(/^warm-/).map((t) => t.dataset['testid'])).toEqual([`warm-${QWEN}`, `warm-${MISTRAL}`]);
    const badge = within(qwen).getByText('sleeping');
    expect(badge.className).toBe('badge badge-sleeping');
    expect(within(qwen).getByText('GPU memory released')).toBeTruthy();
    expect(within(qwen).getByText(':8011')).toBeTruthy();
    expect(within(row(MISTRAL)).getByText('Waking…')).toBeTruthy();

    const unload = screen.getByTestId(`unload-${QWEN}`) as HTMLButtonElement;
    const switchTo = screen.getByTestId(`switch-${QWEN}`) as HTMLButtonElement;
    expect([switchTo.disabled, unload.disabled]).toEqual([false, false]);
    expect((screen.getByTestId(`switch-${MISTRAL}`) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId(`unload-${MISTRAL}`) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(unload);
    await waitFor(() => expect(callsOf('models.unload')).toEqual([{ model: QWEN }]));
    fireEvent.click(switchTo);
    await waitFor(() => expect(callsOf('models.switchTo')).toMatchObject([{ model: QWEN }]));
  });

  it('says which pinned model refused a switch', async () => {
    const message = `model "${CODER_ID}" is pinned on GPU 5 and cannot be evicted for "${KAT}"; unpin it or switch manually`;
    setup(sampleMultiSlotState(), {
      'models.switchTo': async () => {
        throw new ApiCallError({ code: 'conflict', message, details: { pinned: [CODER_ID], model: KAT } });
      },
    });
    fireEvent.click(await screen.findByTestId(`switch-${KAT}`));
    const error = await screen.findByTestId('action-error');
    expect(error.textContent).toContain(`Pinned: ${CODER_ID}.`);
    expect(error.textContent).toContain(message);
    fireEvent.click(within(error).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('action-error')).toBeNull();
  });

  it('edits pinned, idle unload and port in the model form', async () => {
    setup(sampleMultiSlotState());
    fireEvent.click(await screen.findByRole('button', { name: `Edit ${CODER_ID}` }));
    const dialog = await screen.findByRole('dialog', { name: `Edit ${CODER_ID}` });
    const pinned = within(dialog).getByLabelText('Pinned') as HTMLInputElement;
    const idle = within(dialog).getByLabelText('Idle unload (s)') as HTMLInputElement;
    const port = within(dialog).getByLabelText('Port') as HTMLInputElement;
    expect([pinned.checked, idle.value, port.value]).toEqual([true, '0', '30010']);

    fireEvent.click(pinned);
    fireEvent.change(idle, { target: { value: '' } });
    fireEvent.change(port, { target: { value: 'auto' } });
    expect(within(dialog).getByTestId('issue-port').textContent).toMatch(/port number/);
    fireEvent.change(port, { target: { value: '30011' } });
    await waitFor(() => expect(callsOf('catalog.preview').at(-1)?.['change']).toMatchObject({ op: 'edit', model: { pinned: false, port: 30011 } }));
    expect((callsOf('catalog.preview').at(-1)!['change'] as { model: object }).model).not.toHaveProperty('idleUnloadS');
  });

  it('edits the switch mode in the model form: cold is left out, warm is written', async () => {
    setup(sampleMultiSlotState());
    fireEvent.click(await screen.findByRole('button', { name: `Edit ${CODER_ID}` }));
    const dialog = await screen.findByRole('dialog', { name: `Edit ${CODER_ID}` });
    const mode = within(dialog).getByLabelText('Switch mode') as HTMLSelectElement;
    expect(mode.value).toBe('cold');
    expect([...mode.options].map((o) => o.textContent)).toEqual(['Cold: stop when another model needs the GPUs', 'Warm: sleep, comes back in seconds']);
    fireEvent.change(mode, { target: { value: 'warm' } });
    await waitFor(() => expect(callsOf('catalog.preview').at(-1)?.['change']).toMatchObject({ op: 'edit', model: { switchMode: 'warm' } }));
    fireEvent.change(mode, { target: { value: 'cold' } });
    await waitFor(() => expect((callsOf('catalog.preview').at(-1)!['change'] as { model: object }).model).not.toHaveProperty('switchMode'));
  });
});
