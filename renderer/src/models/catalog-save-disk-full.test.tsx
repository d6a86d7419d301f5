// @vitest-environment jsdom
// A catalog save the disk refuses (full, read-only): the dialog shows the engine's message as it is (which
// file, which errno, that the file was left as it was), stays open with the change, and saves on a retry.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiCallError, type CatalogChange, type CatalogChangePreview, type CatalogDocument } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';
import { createFakeTransport } from '../testing/fake-transport.js';
import { ModelsScreen } from './models-screen.js';
import { createModelsStores } from './models-stores.js';

const PATH = '/home/me/.config/sglang-switchboard/switchboard.yaml';
const REV = 'a'.repeat(64);
const TEXT = 'models:\n  - id: qwen2.5-7b-instruct\n    modelPath: /models/qwen\n';
const DISK_FULL = `cannot save the catalog ${PATH}: no space left on device (ENOSPC); the file was left as it was`;

const document: CatalogDocument = {
  path: PATH,
  text: TEXT,
  revision: REV,
  models: [{ id: 'qwen2.5-7b-instruct', aliases: [], modelPath: '/models/qwen', tp: 1, torchCompile: false, pinned: false, extraArgs: [], env: {}, sampling: {} }],
  issues: [],
};

function preview(change: CatalogChange): CatalogChangePreview {
  const id = change.op === 'add' ? change.model.id : '';
  return { ok: true, issues: [], fieldIssues: {}, text: TEXT, revision: REV, diff: [{ kind: 'add', text: `  - id: ${id}`, newLine: 4 }] };
}

let offEngine: () => void = () => undefined;
afterEach(() => {
  cleanup();
  offEngine();
});

describe('Models screen: a save the disk refuses', () => {
  it("shows the engine's unavailable message in the dialog and saves on a retry", async () => {
    let applies = 0;
    const transport = createFakeTransport({
      'state.get': async () => sampleEngineState(),
      'catalog.get': async () => document,
      'catalog.preview': async ({ change }) => preview(change),
      'catalog.apply': async () => {
        if (applies++ === 0) throw new ApiCallError({ code: 'unavailable', message: DISK_FULL, details: { path: PATH, step: 'temp', errno: 'ENOSPC' } });
        return { document, restartRequired: [] };
      },
    });
    const hub = new ApiHub(transport);
    offEngine = useEngineStore.getState().init(hub);
    render(<ModelsScreen stores={createModelsStores(hub, { debounceMs: 0 })} />);
    await screen.findByTestId('model-row-qwen2.5-7b-instruct');
    fireEvent.click(screen.getByRole('button', { name: 'Add model' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add model' });
    fireEvent.change(screen.getByLabelText(/^Id \(/), { target: { value: 'llama-3.1-8b' } });
    fireEvent.change(screen.getByLabelText(/Model path/), { target: { value: '/models/llama' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Review changes' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Save' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toBe(DISK_FULL);
    expect(screen.getByRole('dialog', { name: 'Add model' })).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(applies).toBe(2);
  });
});
