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
});
