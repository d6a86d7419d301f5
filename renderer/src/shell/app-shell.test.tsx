// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiHub, setApiHub } from '../api/api-hub.js';
import { useBrowserAccess } from '../api/browser-access-store.js';
import { App, SCREENS } from '../app.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { sampleMultiSlotState } from '../engine/sample-multi-slot-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { THEME_STORAGE_KEY, useThemeStore } from './theme-store.js';

// The GPU screen's chart library reads matchMedia when it is imported; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
    dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia;
});

let transport: FakeTransport;

// Screens load on first use (React.lazy). In the app a chunk arrives in milliseconds; here Vite
// transforms each screen's modules on its first import, which on a busy machine can outlast
// findBy*'s one second: fetched once up front, every screen then renders at once.
beforeAll(() => Promise.all(SCREENS.map((s) => s.load())), 60_000);

beforeEach(() => {
  location.hash = '';
  localStorage.clear();
  useBrowserAccess.setState({ status: 'not-needed', message: null });
  useThemeStore.setState({ choice: 'system' });
  transport = createFakeTransport({
    'state.get': async () =>
      sampleEngineState({
        status: 'loading',
        modelId: 'mistral-large-2411-awq',
        progress: { phase: 'weights', phaseFraction: 0.44, detail: 'shard 4/9' },
        loadStartedAtMs: Date.now() - 20_000,
        etaMs: 150_000,
      }),
    'catalog.get': async () => ({ path: '/c.yaml', text: '', revision: 'a'.repeat(64), models: [], issues: [] }),
    'models.loadHistory': async () => [],
    'models.swapHistory': async () => [],
  });
  setApiHub(new ApiHub(transport));
});
afterEach(cleanup);

describe('App shell', () => {
  it('shows the active model and what the slot is doing in the header', async () => {
    render(<App />);
    const status = await screen.findByRole('status', { name: 'Slot status' });
    await waitFor(() => expect(status.textContent).toBe('Loading mistral-large-2411-awq — Loading weights 44%'));
    expect(screen.getByLabelText('Active models').textContent).toBe('none');
    act(() => transport.emit({ type: 'state', state: sampleEngineState({ status: 'ready', modelId: 'mistral-large-2411-awq' }) }));
    expect(screen.getByLabelText('Active models').textContent).toBe('mistral-large-2411-awq');
    expect(status.textContent).toBe('mistral-large-2411-awq ready');
  });

  it('with several slots: every active model, the busiest status, each busy slot described', async () => {
    render(<App />);
    const status = await screen.findByRole('status', { name: 'Slot status' });
    act(() => transport.emit({ type: 'state', state: sampleMultiSlotState() }));
    expect(screen.getByTestId('active-model').textContent).toBe('qwen2.5-7b-instruct, qwen2.5-coder-7b');
    expect(status.dataset['status']).toBe('loading');
    expect(status.textContent).toBe('Loading mistral-large-2411-awq — Loading weights 44% · qwen2.5-7b-instruct ready · qwen2.5-coder-7b ready');

    act(() => transport.emit({ type: 'state', state: sampleMultiSlotState({}, { slots: sampleMultiSlotState().slots.filter((s) => s.status === 'ready') }) }));
    expect(status.dataset['status']).toBe('ready');
  });

  it('with no slots at all (a catalog of upstream models): nothing active, nothing loaded', async () => {
    render(<App />);
    const status = await screen.findByRole('status', { name: 'Slot status' });
    act(() => transport.emit({ type: 'state', state: sampleEngineState({}, { slots: [], activeModel: null, activeModels: [] }) }));
    expect(screen.getByTestId('active-model').textContent).toBe('none');
    expect(status.dataset['status']).toBe('stopped');
    expect(status.textContent).toBe('No model loaded');
  });

  it('switches screens with Alt+1…6 and marks the current one', async () => {
    render(<App />);
    expect(screen.getByRole('link', { name: /Models/ }).getAttribute('aria-current')).toBe('page');
    fireEvent.keyDown(window, { key: '2', code: 'Digit2', altKey: true });
    await waitFor(() => expect(screen.getByRole('link', { name: /Switch/ }).getAttribute('aria-current')).toBe('page'));
    expect(await screen.findByRole('heading', { name: 'Switch progress' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('link', { name: /Switch/ }));
    fireEvent.keyDown(window, { key: '9', code: 'Digit9', altKey: true });
    fireEvent.keyDown(window, { key: '1', code: 'Digit1' });
    await new Promise((r) => setTimeout(r, 10));
    expect(location.hash).toBe('#switch');
  });

  it('says when the engine connection is lost, and clears it on reconnect', async () => {
    render(<App />);
    await screen.findByRole('status', { name: 'Slot status' });
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    act(() => transport.setConnection('closed'));
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/reconnecting/);
    act(() => transport.setConnection('open'));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  it('in the desktop app, says what happened to its engine process, and offers a restart once the app gave up on it', async () => {
    const restarts: number[] = [];
    transport.restartEngine = async () => void restarts.push(1);
    setApiHub(new ApiHub(transport));
    render(<App />);
    await screen.findByRole('status', { name: 'Slot status' });
    act(() => transport.setConnection('closed', { message: 'The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…', canRestart: false }));
    expect(screen.getByTestId('connection-banner').textContent).toBe('The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…');
    expect(screen.queryByTestId('banner-restart-engine')).toBeNull();
    act(() => transport.setConnection('closed', { message: 'The engine stopped unexpectedly 6 times within 60 s (last: exit code 1); not restarting it by itself.', canRestart: true }));
    fireEvent.click(screen.getByTestId('banner-restart-engine'));
    expect(restarts).toHaveLength(1);
    act(() => transport.setConnection('open'));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  it('when the engine refuses this browser: asks for an admin key, links to Settings, which offers the key field without engine state', async () => {
    const never = () => new Promise<never>(() => undefined);
    // Calls queue while the key source waits for a key, as they do on the WebSocket transport.
    const refused = createFakeTransport({ 'state.get': never, 'settings.get': never, 'catalog.get': never, 'models.loadHistory': never, 'models.swapHistory': never });
    setApiHub(new ApiHub(refused));
    render(<App />);
    act(() => {
      refused.setConnection('connecting');
      useBrowserAccess.setState({ status: 'needs-key', message: null });
    });
    const banner = screen.getByTestId('connection-banner');
    expect(banner.textContent).toBe('This browser needs an admin key — enter it under Settings (Alt+6).');
    fireEvent.click(screen.getByTestId('banner-settings-link'));
    expect(await screen.findByLabelText('Admin key (browser view)')).toBeTruthy();
    expect(screen.getByRole('link', { name: /Settings/, current: 'page' })).toBeTruthy();
    expect(screen.getByTestId('settings-waiting')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Admin key (browser view)'), { target: { value: 'wrong-key-0123456789' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(localStorage.getItem('switchboard.adminKey')).toBe('wrong-key-0123456789');
    act(() => useBrowserAccess.setState({ status: 'key-refused' }));
    expect(screen.getByTestId('connection-banner').textContent).toBe('This browser needs an admin key — enter it under Settings (Alt+6). The engine refused the key saved here.');

    // The engine going away is not a key problem.
    act(() => {
      refused.setConnection('closed');
      useBrowserAccess.setState({ status: 'engine-down' });
    });
    expect(screen.getByTestId('connection-banner').textContent).toBe('Cannot reach the engine — reconnecting…');
    act(() => useBrowserAccess.setState({ status: 'forbidden', message: 'Host "box.lan" is not a name this engine is reachable by' }));
    expect(screen.getByTestId('connection-banner').textContent).toBe('The engine refuses this page: Host "box.lan" is not a name this engine is reachable by');
  });

  it('cycles the theme, sets data-theme on <html> and keeps the choice', () => {
    render(<App />);
    const toggle = screen.getByRole('button', { name: /^Theme: System/ });
    fireEvent.click(toggle);
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    fireEvent.click(toggle);
    expect(document.documentElement.getAttribute('data-theme')).toBe('light');
    fireEvent.click(toggle);
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false);
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('system');
  });
});
