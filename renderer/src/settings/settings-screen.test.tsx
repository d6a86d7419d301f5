// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings, SettingsPatch } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { useBrowserAccess } from '../api/browser-access-store.js';
import { createFakeTransport } from '../testing/fake-transport.js';
import { ADMIN_KEY_STORAGE_KEY, createAdminKeyStorage, LEGACY_API_KEY_STORAGE_KEY } from './admin-key-storage.js';
import { SettingsScreen } from './settings-screen.js';
import { createSettingsStore } from './settings-store.js';

afterEach(cleanup);
beforeEach(() => useBrowserAccess.setState({ status: 'checking', message: null }));

const SETTINGS: Settings = {
  configPath: '/home/me/.config/sglang-switchboard/switchboard.yaml',
  version: '0.1.0',
  router: { host: '127.0.0.1', port: 8002, loadingMessages: 'content', apiKeyCount: 0, adminKeyCount: 0 },
  // An engine from before the warm-switch settings: they are absent (the screen shows no fields for them).
  backend: { kind: 'process', drainTimeoutS: 300, readyTimeoutS: 1800, stopTimeoutS: 30 } as Settings['backend'],
  gpu: { presetsW: [250, 300, 350], sampleIntervalMs: 1000, historyS: 3600 },
};

/** An engine that reports the warm-switch settings (backend.maxSleepers, sleepTimeoutS). */
const WARM_BACKEND = { ...SETTINGS.backend, maxSleepers: 2, sleepTimeoutS: 120 };
const WARM_SETTINGS: Settings = { ...SETTINGS, backend: WARM_BACKEND };

function setup(restartRequired: string[] = [], opts: { transportKind?: 'ipc' | 'websocket'; noEngine?: boolean; stored?: Record<string, string>; settings?: Settings } = {}) {
  let current = opts.settings ?? SETTINGS;
  const patches: SettingsPatch[] = [];
  const transport = createFakeTransport({
    // No engine: the call waits, as the WebSocket transport's calls do while the engine refuses the browser.
    'settings.get': async () => (opts.noEngine ? new Promise<Settings>(() => undefined) : current),
    'settings.update': async ({ patch }) => {
      patches.push(patch);
      current = { ...current, router: { ...current.router, ...patch.router }, backend: { ...current.backend, ...patch.backend }, gpu: { ...current.gpu, ...patch.gpu } };
      return { document: { path: '', text: '', revision: 'a'.repeat(64), models: [], issues: [] }, restartRequired };
    },
  });
  const storage = new Map<string, string>(Object.entries(opts.stored ?? {}));
  const keyStorage = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) };
  const keys = createAdminKeyStorage(keyStorage);
  render(<SettingsScreen store={createSettingsStore(new ApiHub(transport), keys)} transportKind={opts.transportKind ?? 'websocket'} />);
  return { patches, storage, keys };
}

describe('Settings screen', () => {
  it('saves only what changed and says what needs a restart', async () => {
    const { patches } = setup(['router.loadingMessages']);
    const save = await screen.findByRole('button', { name: 'Save settings' });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Router loading messages'), { target: { value: 'reasoning' } });
    fireEvent.change(screen.getByLabelText('Drain timeout (s)'), { target: { value: '120' } });
    fireEvent.change(screen.getByLabelText('Power presets (W)'), { target: { value: '200, 280' } });
    fireEvent.click(save);
    await waitFor(() => expect(screen.getByTestId('settings-result').textContent).toBe('Saved. Restart the engine to apply: router.loadingMessages.'));
    expect(patches).toEqual([{ router: { loadingMessages: 'reasoning' }, backend: { drainTimeoutS: 120 }, gpu: { presetsW: [200, 280] } }]);
    expect((screen.getByLabelText('Drain timeout (s)') as HTMLInputElement).value).toBe('120');
  });

  it('flags a timeout that is not a number and does not save', async () => {
    const { patches } = setup();
    const input = await screen.findByLabelText('Stop timeout (s)');
    fireEvent.change(input, { target: { value: 'soon' } });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('seconds, more than 0')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement).disabled).toBe(true);
    expect(patches).toEqual([]);
  });

  it('edits the warm-switch settings when the engine reports them, and checks them', async () => {
    const { patches } = setup([], { settings: WARM_SETTINGS });
    const sleepers = (await screen.findByLabelText('Warm models asleep at once')) as HTMLInputElement;
    const timeout = screen.getByLabelText('Sleep/wake timeout (s)') as HTMLInputElement;
    expect([sleepers.value, timeout.value]).toEqual(['2', '120']);
    fireEvent.change(sleepers, { target: { value: '1.5' } });
    expect(sleepers.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(timeout, { target: { value: '0' } });
    expect(timeout.getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(sleepers, { target: { value: '0' } });
    fireEvent.change(timeout, { target: { value: '60' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(screen.getByTestId('settings-result').textContent).toBe('Saved and applied.'));
    expect(patches).toEqual([{ backend: { maxSleepers: 0, sleepTimeoutS: 60 } }]);
  });

  it('shows no warm-switch fields for an engine that does not report them', async () => {
    setup();
    await screen.findByLabelText('Drain timeout (s)');
    expect(screen.queryByLabelText('Warm models asleep at once')).toBeNull();
    expect(screen.queryByLabelText('Sleep/wake timeout (s)')).toBeNull();
  });

  it('keeps the admin key in this browser and tells the connection at once', async () => {
    const { storage, keys } = setup();
    const seen: string[] = [];
    keys.subscribe((state) => seen.push(state.key));
    fireEvent.change(await screen.findByLabelText('Admin key (browser view)'), { target: { value: ' admin-key-0123456789abcdef ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(storage.get(ADMIN_KEY_STORAGE_KEY)).toBe('admin-key-0123456789abcdef');
    expect(seen).toEqual(['admin-key-0123456789abcdef']);
    expect(screen.getByTestId('admin-key-hint').textContent).toBe('Saved in this browser; checking it with the engine…');
    act(() => useBrowserAccess.setState({ status: 'admin-key' }));
    expect(screen.getByTestId('admin-key-hint').textContent).toBe('Saved in this browser; the engine accepted it.');
    fireEvent.change(screen.getByLabelText('Admin key (browser view)'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(storage.has(ADMIN_KEY_STORAGE_KEY)).toBe(false);
  });

  it('drops the old inference key and shows the saved admin key', async () => {
    const { storage } = setup([], { stored: { [LEGACY_API_KEY_STORAGE_KEY]: 'sk-inference', [ADMIN_KEY_STORAGE_KEY]: 'saved-admin-key' } });
    expect(((await screen.findByLabelText('Admin key (browser view)')) as HTMLInputElement).value).toBe('saved-admin-key');
    expect(storage.has(LEGACY_API_KEY_STORAGE_KEY)).toBe(false);
  });

  it('offers the key form while the engine refuses this browser (no engine settings yet), and says when the key is wrong', async () => {
    const { storage } = setup([], { noEngine: true });
    act(() => useBrowserAccess.setState({ status: 'needs-key' }));
    expect(screen.getByTestId('settings-waiting').textContent).toMatch(/once this window is connected/);
    expect(screen.queryByRole('form', { name: 'Engine settings' })).toBeNull();
    expect(screen.getByTestId('admin-key-hint').textContent).toMatch(
      /^Needed only when this browser is not the engine's user on its machine \(another user, another machine\): one of router.adminKeys, or the admin token file/,
    );
    fireEvent.change(screen.getByLabelText('Admin key (browser view)'), { target: { value: 'wrong-key-0123456789' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(storage.get(ADMIN_KEY_STORAGE_KEY)).toBe('wrong-key-0123456789');
    act(() => useBrowserAccess.setState({ status: 'key-refused' }));
    expect(screen.getByTestId('admin-key-hint').textContent).toMatch(/^The engine refused the saved key/);
    expect(screen.getByLabelText('Admin key (browser view)').getAttribute('aria-invalid')).toBe('true');
  });

  it('says no key is needed when the engine handed this browser its token', async () => {
    setup();
    act(() => useBrowserAccess.setState({ status: 'local-user' }));
    expect((await screen.findByTestId('admin-key-hint')).textContent).toMatch(/^Not needed here: this browser runs as the engine's user/);
  });

  it('asks for no key in the desktop app', async () => {
    setup([], { transportKind: 'ipc' });
    await screen.findByRole('button', { name: 'Save settings' });
    expect(screen.queryByLabelText('Admin key (browser view)')).toBeNull();
  });
});
