// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Settings, SettingsPatch } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport } from '../testing/fake-transport.js';
import { API_KEY_STORAGE_KEY } from './api-key-storage.js';
import { SettingsScreen } from './settings-screen.js';
import { createSettingsStore } from './settings-store.js';

afterEach(cleanup);

const SETTINGS: Settings = {
  configPath: '/home/me/.config/sglang-switchboard/switchboard.yaml',
  version: '0.1.0',
  router: { host: '127.0.0.1', port: 8002, loadingMessages: 'content', apiKeyCount: 0 },
  backend: { kind: 'process', drainTimeoutS: 300, readyTimeoutS: 1800, stopTimeoutS: 30 },
  gpu: { presetsW: [250, 300, 350], sampleIntervalMs: 1000, historyS: 3600 },
};

function setup(restartRequired: string[] = []) {
  let current = SETTINGS;
  const patches: SettingsPatch[] = [];
  const transport = createFakeTransport({
    'settings.get': async () => current,
    'settings.update': async ({ patch }) => {
      patches.push(patch);
      current = { ...current, router: { ...current.router, ...patch.router }, backend: { ...current.backend, ...patch.backend }, gpu: { ...current.gpu, ...patch.gpu } };
      return { document: { path: '', text: '', revision: 'a'.repeat(64), models: [], issues: [] }, restartRequired };
    },
  });
  const storage = new Map<string, string>();
  const keyStorage = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) };
  render(<SettingsScreen store={createSettingsStore(new ApiHub(transport), keyStorage)} transportKind="websocket" />);
  return { patches, storage };
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

  it('keeps the API key in local storage for the browser transport', async () => {
    const { storage } = setup();
    fireEvent.change(await screen.findByLabelText('API key (browser view)'), { target: { value: ' sk-local ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(storage.get(API_KEY_STORAGE_KEY)).toBe('sk-local');
    fireEvent.change(screen.getByLabelText('API key (browser view)'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(storage.has(API_KEY_STORAGE_KEY)).toBe(false);
  });
});
