// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EngineState } from '../../../shared/engine-state.js';
import { ApiCallError, type ApiHandlers, type CatalogDocument, type ImportScriptsResult } from '../../../shared/switchboard-api.js';
import { ApiHub, setApiHub } from '../api/api-hub.js';
import { useBrowserAccess } from '../api/browser-access-store.js';
import { App, FIRST_RUN_SCREEN, SCREENS } from '../app.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { FirstRunScreen } from './first-run-screen.js';

const PATH = '/home/me/.config/sglang-switchboard/switchboard.yaml';
const EMPTY_REV = 'e'.repeat(64);
const REV_2 = 'b'.repeat(64);

/** The engine in setup mode: no models, no slots, `setup` set. */
function setupState(): EngineState {
  return sampleEngineState({}, { slots: [], models: [], activeModel: null, activeModels: [], configPath: PATH, setup: { catalogPath: PATH } });
}

/** The engine after the first catalog was written: the model, no `setup`. */
function configuredState(id: string): EngineState {
  const state = sampleEngineState({}, { configPath: PATH });
  return { ...state, models: [{ ...state.models[0]!, id, label: id, aliases: [] }] };
}

function documentOf(text: string, revision: string, ids: string[] = []): CatalogDocument {
  return {
    path: PATH,
    text,
    revision,
    issues: [],
    models: ids.map((id) => ({ id, modelPath: `/models/${id}`, aliases: [], tp: 1, torchCompile: false, pinned: false, extraArgs: [], env: {}, sampling: {} })),
  };
}

const IMPORT_TEXT = 'models:\n  - id: llama8b\n    modelPath: /models/llama8b\n';

function importResult(apply: boolean): ImportScriptsResult {
  return {
    reports: [{ script: '/opt/sglang/start_sglang_llama.sh', id: 'llama8b', notes: [{ line: 3, severity: 'info', message: '--port 30000 dropped: managed by switchboard (backend.port)' }] }],
    added: ['llama8b'],
    skipped: [],
    preview: {
      ok: true,
      issues: [],
      fieldIssues: {},
      text: IMPORT_TEXT,
      revision: EMPTY_REV,
      diff: [
        { kind: 'add', text: 'models:', newLine: 1 },
        { kind: 'add', text: '  - id: llama8b', newLine: 2 },
      ],
    },
    ...(apply ? { applied: { document: documentOf(IMPORT_TEXT, REV_2, ['llama8b']), restartRequired: [] } } : {}),
  };
}

let transport: FakeTransport;

function start(handlers: Partial<ApiHandlers> = {}) {
  let state = setupState();
  transport = createFakeTransport({
    'state.get': async () => state,
    'catalog.get': async () => documentOf('', EMPTY_REV),
    'catalog.preview': async ({ change }) => ({
      ok: true,
      issues: [],
      fieldIssues: {},
      text: '',
      revision: EMPTY_REV,
      diff: [{ kind: 'add', text: `  - id: ${change.op === 'add' ? change.model.id : ''}`, newLine: 2 }],
    }),
    'catalog.apply': async ({ change }) => {
      const id = change.op === 'add' ? change.model.id : 'x';
      state = configuredState(id);
      return { document: documentOf(`models:\n  - id: ${id}\n`, REV_2, [id]), restartRequired: [] };
    },
    'catalog.importScripts': async ({ apply }) => {
      if (apply) state = configuredState('llama8b');
      return importResult(apply);
    },
    'models.loadHistory': async () => [],
    'models.swapHistory': async () => [],
    ...handlers,
  });
  setApiHub(new ApiHub(transport));
  render(<App />);
  // What the engine sends after a write that ended setup mode.
  return { finishSetup: () => act(() => transport.emit({ type: 'catalog', revision: REV_2 }, { type: 'state', state })) };
}

const callsOf = (method: string) => transport.calls.filter((c) => c.method === method).map((c) => c.params as Record<string, unknown>);

// The screens these tests reach, fetched once up front (see app-shell.test.tsx).
beforeAll(() => Promise.all([FIRST_RUN_SCREEN.load(), SCREENS.find((s) => s.id === 'models')!.load()]), 60_000);
beforeEach(() => {
  location.hash = '';
  useBrowserAccess.setState({ status: 'not-needed', message: null });
});
afterEach(cleanup);

describe('the first-run screen', () => {
  it('takes the place of the screens while the engine is in setup mode, naming the catalog file it will write', async () => {
    start();
    const firstRun = await screen.findByTestId('first-run');
    expect(within(firstRun).getByRole('heading', { level: 1 }).textContent).toBe('Welcome to SGLang Switchboard');
    expect(screen.getByTestId('first-run-path').textContent).toBe(PATH);
    for (const choice of ['Import start scripts', 'Add a model', 'Try the simulated host']) {
      expect(within(firstRun).getByRole('heading', { name: choice, level: 2 })).toBeTruthy();
    }
    expect(screen.queryByRole('navigation', { name: 'Screens' })).toBeNull();
    expect(screen.getByRole('main').getAttribute('aria-label')).toBe('First run');
    // The screen hotkeys do nothing here.
    fireEvent.keyDown(window, { key: '2', code: 'Digit2', altKey: true });
    expect(location.hash).toBe('');
    expect(screen.getByTestId('first-run')).toBeTruthy();
  });

  it('imports start scripts: preview with the report and the new catalog, then Import; the Models screen follows', async () => {
    const { finishSetup } = start();
    const card = await screen.findByTestId('first-run-import');
    const preview = within(card).getByRole('button', { name: 'Preview' }) as HTMLButtonElement;
    expect(preview.disabled).toBe(true);
    fireEvent.change(within(card).getByLabelText(/Folder or script paths/), { target: { value: '/opt/sglang\n' } });
    fireEvent.click(preview);
    await within(card).findByTestId('import-report');
    expect(callsOf('catalog.importScripts')).toEqual([{ apply: false, paths: ['/opt/sglang'] }]);
    expect(within(card).getByTestId('import-report').textContent).toMatch(/start_sglang_llama\.sh → llama8b.*line 3: --port 30000 dropped/);
    expect(within(card).getByRole('figure', { name: 'The new catalog' }).textContent).toContain('- id: llama8b');

    fireEvent.click(within(card).getByRole('button', { name: 'Import 1 model' }));
    await waitFor(() => expect(callsOf('catalog.importScripts')[1]).toEqual({ apply: true, paths: ['/opt/sglang'], expectedRevision: EMPTY_REV }));
    finishSetup();
    expect(await screen.findByRole('heading', { name: 'Models', level: 1 })).toBeTruthy();
    expect(screen.queryByTestId('first-run')).toBeNull();
    expect(screen.getByRole('link', { name: /Models/ }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByText('Imported llama8b.')).toBeTruthy();
    expect(await screen.findByTestId('model-row-llama8b')).toBeTruthy();
  });

  it('adds a model through the model form (review, then save); the Models screen follows', async () => {
    const { finishSetup } = start();
    const card = await screen.findByTestId('first-run-add');
    fireEvent.click(within(card).getByRole('button', { name: 'Add a model' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add model' });
    fireEvent.change(within(dialog).getByLabelText(/^Id \(/), { target: { value: 'tiny' } });
    fireEvent.change(within(dialog).getByLabelText(/Model path/), { target: { value: '/models/tiny' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Review changes' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Save' }));
    await waitFor(() => expect(callsOf('catalog.apply')).toHaveLength(1));
    expect(callsOf('catalog.apply')[0]).toMatchObject({ change: { op: 'add', model: { id: 'tiny', modelPath: '/models/tiny' } }, expectedRevision: EMPTY_REV });
    finishSetup();
    expect(await screen.findByTestId('model-row-tiny')).toBeTruthy();
    expect(screen.getByText('Saved tiny.')).toBeTruthy();
  });

  it('tries the simulated host: says it restarts, and the connection banner covers the reconnect', async () => {
    start({ 'setup.startSimulatedHost': async () => ({ configPath: '/state/simulated-host/switchboard.yaml', restarting: true }) });
    const card = await screen.findByTestId('first-run-simulated');
    fireEvent.click(within(card).getByRole('button', { name: 'Try the simulated host' }));
    expect((await screen.findByTestId('first-run-restarting')).textContent).toMatch(/Restarting on the simulated host…/);
    expect(callsOf('setup.startSimulatedHost')).toEqual([{}]);
    expect((within(card).getByRole('button', { name: 'Try the simulated host' }) as HTMLButtonElement).disabled).toBe(true);

    act(() => transport.setConnection('closed'));
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/reconnecting/);
    // The new engine: the simulated host's models, no setup.
    act(() => transport.setConnection('open'));
    act(() => transport.emit({ type: 'state', state: sampleEngineState() }));
    expect(await screen.findByTestId('model-row-qwen2.5-7b-instruct')).toBeTruthy();
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  it('shows why the simulated host is not offered (an engine without the desktop app)', async () => {
    const message = 'this engine cannot restart itself on the simulated host (it runs without the desktop app): stop it and run `switchboard demo` in a terminal';
    start({ 'setup.startSimulatedHost': async () => Promise.reject(new ApiCallError({ code: 'unavailable', message })) });
    const card = await screen.findByTestId('first-run-simulated');
    fireEvent.click(within(card).getByRole('button', { name: 'Try the simulated host' }));
    expect((await screen.findByTestId('first-run-simulated-error')).textContent).toBe(message);
    expect((within(card).getByRole('button', { name: 'Try the simulated host' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('first-run-restarting')).toBeNull();
  });

  it('renders on its own with given stores and hub (no App)', async () => {
    transport = createFakeTransport({ 'setup.startSimulatedHost': async () => ({ configPath: '/x/switchboard.yaml', restarting: true }) });
    const hub = new ApiHub(transport);
    render(<FirstRunScreen setup={{ catalogPath: '/srv/switchboard.yaml' }} hub={hub} stores={(await import('../models/models-stores.js')).createModelsStores(hub)} />);
    expect(screen.getByTestId('first-run-path').textContent).toBe('/srv/switchboard.yaml');
    fireEvent.click(screen.getByRole('button', { name: 'Try the simulated host' }));
    await screen.findByTestId('first-run-restarting');
  });
});
