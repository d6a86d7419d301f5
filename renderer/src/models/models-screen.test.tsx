// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import type { EngineState } from '../../../shared/engine-state.js';
import { ApiCallError, type ApiHandlers, type CatalogChange, type CatalogChangePreview, type CatalogDocument } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { ModelsScreen } from './models-screen.js';
import { createModelsStores } from './models-stores.js';

const REV_1 = 'a'.repeat(64);
const REV_2 = 'b'.repeat(64);

const CATALOG_TEXT = `models:
  - id: qwen2.5-7b-instruct
    aliases: [qwen]
    modelPath: /models/qwen
`;

function documentAt(revision: string): CatalogDocument {
  return {
    path: '/home/me/.config/sglang-switchboard/switchboard.yaml',
    text: CATALOG_TEXT,
    revision,
    models: [{ id: 'qwen2.5-7b-instruct', aliases: ['qwen'], modelPath: '/models/qwen', tp: 1, torchCompile: false, pinned: false, extraArgs: [], env: {}, sampling: {} }],
    issues: [],
  };
}

function previewOf(change: CatalogChange, revision: string, fieldIssues: Record<string, CatalogIssue[]> = {}): CatalogChangePreview {
  const errors = Object.values(fieldIssues)
    .flat()
    .filter((i) => i.severity === 'error');
  const id = change.op === 'remove' ? change.id : change.op === 'settings' ? '' : change.model.id;
  return {
    ok: errors.length === 0,
    issues: Object.values(fieldIssues).flat(),
    fieldIssues,
    text: CATALOG_TEXT,
    revision,
    diff: [
      { kind: 'same', text: '    modelPath: /models/qwen', oldLine: 4 },
      change.op === 'remove' ? { kind: 'remove', text: `  - id: ${id}`, oldLine: 2 } : { kind: 'add', text: `  - id: ${id}`, newLine: 5 },
    ],
  };
}

let revision = REV_1;
let transport: FakeTransport;
let offEngine: () => void = () => undefined;

function setup(state: EngineState = sampleEngineState(), handlers: Partial<ApiHandlers> = {}) {
  revision = REV_1;
  transport = createFakeTransport({
    'state.get': async () => state,
    'catalog.get': async () => documentAt(revision),
    'catalog.preview': async ({ change }) => previewOf(change, revision),
    'catalog.apply': async () => {
      revision = REV_2;
      return { document: documentAt(REV_2), restartRequired: [] };
    },
    'models.switchTo': async () => state.slots[0]!,
    ...handlers,
  });
  const hub = new ApiHub(transport);
  offEngine = useEngineStore.getState().init(hub);
  const stores = createModelsStores(hub, { debounceMs: 0 });
  render(<ModelsScreen stores={stores} />);
  return stores;
}

afterEach(() => {
  cleanup();
  offEngine();
});

const callsOf = (method: string) => transport.calls.filter((c) => c.method === method).map((c) => c.params as Record<string, unknown>);
const field = (name: string) => document.querySelector<HTMLElement>(`[data-field="${name}"]`)!;
const type = (label: RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

async function openAddForm() {
  await screen.findByTestId('model-row-qwen2.5-7b-instruct');
  fireEvent.click(screen.getByRole('button', { name: 'Add model' }));
  return screen.findByRole('dialog', { name: 'Add model' });
}

describe('Models screen', () => {
  it('lists models with state, marks the active one, and switches with wait:false', async () => {
    setup(sampleEngineState({ status: 'ready', modelId: 'qwen2.5-7b-instruct', readyAtMs: 1 }));
    const row = await screen.findByTestId('model-row-qwen2.5-7b-instruct');
    expect(row.dataset['active']).toBe('true');
    expect(within(row).getByText('loaded')).toBeTruthy();
    expect((screen.getByTestId('switch-qwen2.5-7b-instruct') as HTMLButtonElement).disabled).toBe(true);
    const mistral = screen.getByTestId('model-row-mistral-large-2411-awq');
    expect(within(mistral).getByText('1, 2, 3, 4')).toBeTruthy();
    expect(within(mistral).getByText('4m02s')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Switch to mistral-large-2411-awq' }));
    await waitFor(() => expect(callsOf('models.switchTo')).toEqual([{ model: 'mistral-large-2411-awq', wait: false }]));
  });

  it('shows each launch model’s fit verdict from models.fit, with the numbers in its title', async () => {
    setup(sampleEngineState(), {
      'models.fit': async ({ model }) =>
        model === 'kat-dev-awq-8bit'
          ? {
              verdict: 'will_not_fit',
              summary: 'weights 34.1 GiB do not fit in 23.4 GiB free on GPU 4: 10.7 GiB short',
              weightsPerGpuGib: 34.1,
              weightsSource: 'params',
              kvBytesPerToken: 163840,
              kvBytesPerTokenAllGpus: 327680,
              memFractionStatic: 0.92,
              kvTokens: 0,
              kvPoolGib: 0,
              shortfallGib: 10.7,
            }
          : null,
    });
    const badge = await screen.findByTestId('fit-kat-dev-awq-8bit');
    expect(badge.textContent).toBe('will not fit');
    expect(badge.title).toContain('10.7 GiB short');
    expect(screen.queryByTestId('fit-qwen2.5-7b-instruct')).toBeNull();
    expect(callsOf('models.fit').map((p) => p['model'])).toEqual(expect.arrayContaining(['qwen2.5-7b-instruct', 'kat-dev-awq-8bit']));
  });

  it('a switch the fit estimate refuses says why and offers to switch anyway (force)', async () => {
    const state = sampleEngineState();
    setup(state, {
      'models.switchTo': async ({ model, force }) => {
        if (!force) throw new ApiCallError({ code: 'will_not_fit', message: `${model} will not fit: 11.20 GiB short on GPU 4`, details: { shortfallGib: 11.2 } });
        return state.slots[0]!;
      },
    });
    await screen.findByTestId('model-row-kat-dev-awq-8bit');
    fireEvent.click(screen.getByRole('button', { name: 'Switch to kat-dev-awq-8bit' }));
    const alert = await screen.findByTestId('action-error');
    expect(alert.textContent).toContain('kat-dev-awq-8bit will not fit: 11.20 GiB short on GPU 4');
    fireEvent.click(within(alert).getByTestId('force-switch'));
    await waitFor(() =>
      expect(callsOf('models.switchTo')).toEqual([
        { model: 'kat-dev-awq-8bit', wait: false },
        { model: 'kat-dev-awq-8bit', wait: false, force: true },
      ]),
    );
    await waitFor(() => expect(screen.queryByTestId('action-error')).toBeNull());
  });

  it('shows the switch under way, the queued switches and the waiting requests', async () => {
    const state = sampleEngineState(
      {
        status: 'ready',
        modelId: 'qwen2.5-7b-instruct',
        draining: true,
        pending: { modelId: 'mistral-large-2411-awq', waiters: 2, cause: 'request' },
        queue: [{ modelId: 'kat-dev-awq-8bit', waiters: 1, cause: 'manual' }],
      },
      {
        requests: [
          { id: 'req-1', modelId: 'mistral-large-2411-awq', state: 'waiting', position: 1, sinceMs: Date.now() - 65_000, stream: true },
          { id: 'req-2', modelId: 'kat-dev-awq-8bit', state: 'waiting', position: 2, sinceMs: Date.now() - 5_000, stream: false },
          { id: 'req-0', modelId: 'qwen2.5-7b-instruct', state: 'active', sinceMs: Date.now(), stream: true },
        ],
      },
    );
    state.models[0]!.inFlight = 1;
    setup(state);
    const queue = await screen.findByTestId('switch-queue');
    expect(within(queue).getByTestId('queue-pending').textContent).toBe('Under way: mistral-large-2411-awq (request, 2 callers waiting) — draining qwen2.5-7b-instruct: 1 request in flight');
    expect(
      within(queue)
        .getAllByTestId('queue-item')
        .map((li) => li.textContent),
    ).toEqual(['kat-dev-awq-8bit (manual, 1 caller waiting)']);
    const rows = within(queue).getAllByTestId('waiting-request');
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .slice(0, 4)
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['1', 'mistral-large-2411-awq', '1m05s', 'stream'],
      ['2', 'kat-dev-awq-8bit', '0m05s', 'request'],
    ]);
    expect(within(screen.getByTestId('model-row-kat-dev-awq-8bit')).getByText('queued #1')).toBeTruthy();
  });

  it('shows requests queued under a model’s maxConcurrent in the queue and its in-flight count', async () => {
    const state = sampleEngineState(
      { status: 'ready', modelId: 'qwen2.5-7b-instruct' },
      {
        requests: [
          { id: 'req-4', modelId: 'qwen2.5-7b-instruct', state: 'queued', position: 1, sinceMs: Date.now() - 3_000, stream: true },
          { id: 'req-5', modelId: 'qwen2.5-7b-instruct', state: 'queued', position: 2, sinceMs: Date.now() - 1_000, stream: false },
          { id: 'req-2', modelId: 'qwen2.5-7b-instruct', state: 'active', sinceMs: Date.now(), stream: true },
          { id: 'req-3', modelId: 'qwen2.5-7b-instruct', state: 'active', sinceMs: Date.now(), stream: true },
        ],
      },
    );
    Object.assign(state.models[0]!, { status: 'loaded', inFlight: 2, queued: 2, limit: { maxConcurrent: 2, maxQueued: 4 } });
    setup(state);
    const queue = await screen.findByTestId('switch-queue');
    const rows = within(queue).getAllByTestId('waiting-request');
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['1', 'qwen2.5-7b-instruct', '0m03s', 'stream', 'a free place (2 at once)', 'req-4'],
      ['2', 'qwen2.5-7b-instruct', '0m01s', 'request', 'a free place (2 at once)', 'req-5'],
    ]);
    expect(within(screen.getByTestId('model-row-qwen2.5-7b-instruct')).getByText(/^2\/2/).textContent).toBe('2/2 +2 queued');
  });

  it('shows the preview’s field issues next to their fields as you type', async () => {
    setup(sampleEngineState(), {
      'catalog.preview': async ({ change }) =>
        previewOf(change, revision, {
          tp: [{ severity: 'error', field: 'models[1].tp', message: 'tp 3 does not divide the model’s 32 attention heads' }],
          gpus: [{ severity: 'warning', field: 'models[1].gpus', message: 'GPUs 4, 5 cross PCIe while NVLink pair 1–2 exists' }],
          modelPath: [{ severity: 'error', field: 'models[1].modelPath', message: '/models/nope does not exist' }],
        }),
    });
    const dialog = await openAddForm();
    type(/^Id \(/, 'new-model');
    type(/Model path/, '/models/nope');
    type(/Tensor parallel/, '3');
    type(/GPUs/, '4, 5');
    await waitFor(() => expect(within(field('tp')).queryByText(/does not divide/)).toBeTruthy());
    expect(within(field('gpus')).getByText(/cross PCIe/).className).toContain('issue-warning');
    expect(within(field('location')).getByText(/does not exist/)).toBeTruthy();
    expect(
      within(dialog)
        .getByLabelText(/Tensor parallel/)
        .getAttribute('aria-invalid'),
    ).toBe('true');
    expect(within(dialog).getByLabelText(/GPUs/).getAttribute('aria-invalid')).toBe('false');
    const lastPreview = callsOf('catalog.preview').at(-1)!;
    expect(lastPreview['change']).toEqual({ op: 'add', model: { id: 'new-model', modelPath: '/models/nope', tp: 3, gpus: [4, 5] } });

    // A value the form cannot parse is flagged at once and blocks the review.
    type(/Tensor parallel/, 'three');
    expect(within(field('tp')).getByText(/whole number/)).toBeTruthy();
    expect((within(dialog).getByRole('button', { name: 'Review changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('reviews the YAML diff, then saves with the document’s revision', async () => {
    setup();
    const dialog = await openAddForm();
    type(/^Id \(/, 'llama-3.1-8b');
    type(/Model path/, '/models/llama');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Review changes' }));
    const diff = await within(dialog).findByRole('figure', { name: 'Catalog changes' });
    const added = diff.querySelectorAll('[data-kind="add"]');
    expect([...added].map((l) => l.textContent)).toEqual(['+  - id: llama-3.1-8b']);
    expect(callsOf('catalog.apply')).toEqual([]);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(callsOf('catalog.apply')).toEqual([{ change: { op: 'add', model: { id: 'llama-3.1-8b', modelPath: '/models/llama' } }, expectedRevision: REV_1 }]);
    expect(screen.getByText('Saved llama-3.1-8b.')).toBeTruthy();
  });

  it('says the file changed on disk on a conflict, and saves against the reloaded file', async () => {
    let applies = 0;
    setup(sampleEngineState(), {
      'catalog.apply': async () => {
        if (applies++ === 0) {
          revision = REV_2; // someone else wrote the file meanwhile
          throw new ApiCallError({ code: 'conflict', message: 'the catalog file changed on disk since it was read', details: { expectedRevision: REV_1, revision: REV_2 } });
        }
        return { document: documentAt('c'.repeat(64)), restartRequired: [] };
      },
    });
    const dialog = await openAddForm();
    type(/^Id \(/, 'llama-3.1-8b');
    type(/Model path/, '/models/llama');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Review changes' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Save' }));
    const alert = await within(dialog).findByTestId('catalog-conflict');
    expect(alert.textContent).toMatch(/changed on disk since you opened it/);
    expect((within(dialog).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(within(alert).getByRole('button', { name: 'Reload catalog' }));
    await waitFor(() => expect(within(dialog).queryByTestId('catalog-conflict')).toBeNull());
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(callsOf('catalog.apply').map((p) => p['expectedRevision'])).toEqual([REV_1, REV_2]);
  });

  it('edits an entry as an edit of its id, and removes one after confirmation', async () => {
    setup();
    await screen.findByTestId('model-row-qwen2.5-7b-instruct');
    fireEvent.click(screen.getByRole('button', { name: 'Edit qwen2.5-7b-instruct' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit qwen2.5-7b-instruct' });
    expect((within(dialog).getByLabelText(/Aliases/) as HTMLInputElement).value).toBe('qwen');
    type(/^Label/, 'Qwen 2.5 7B');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Review changes' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Save' }));
    await waitFor(() => expect(callsOf('catalog.apply')).toHaveLength(1));
    expect(callsOf('catalog.apply')[0]).toMatchObject({ change: { op: 'edit', id: 'qwen2.5-7b-instruct', model: { label: 'Qwen 2.5 7B', aliases: ['qwen'], tp: 1 } } });

    fireEvent.click(screen.getByRole('button', { name: 'Remove kat-dev-awq-8bit' }));
    const confirm = await screen.findByRole('dialog', { name: 'Remove kat-dev-awq-8bit?' });
    await within(confirm).findByRole('figure', { name: 'Lines removed' });
    expect(callsOf('catalog.apply')).toHaveLength(1);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(callsOf('catalog.apply')).toHaveLength(2));
    expect(callsOf('catalog.apply')[1]).toEqual({ change: { op: 'remove', id: 'kat-dev-awq-8bit' }, expectedRevision: REV_2 });
  });

  it('imports start scripts: paths and uploads, per-script notes, then the import', async () => {
    setup(sampleEngineState(), {
      'catalog.importScripts': async (params) => ({
        reports: [
          { script: '/opt/sglang/start_sglang_katdev.sh', id: 'kat-dev', notes: [{ line: 7, severity: 'warning', message: '--foo is not an SGLang flag; kept in extraArgs' }] },
          { script: 'broken.sh', notes: [{ severity: 'error', message: 'no sglang.launch_server command found' }] },
        ],
        added: ['kat-dev'],
        skipped: [],
        preview: previewOf({ op: 'add', model: { id: 'kat-dev', modelPath: '/m' } }, REV_1),
        ...(params.apply ? { applied: { document: documentAt(REV_2), restartRequired: [] } } : {}),
      }),
    });
    await screen.findByTestId('model-row-qwen2.5-7b-instruct');
    fireEvent.click(screen.getByRole('button', { name: 'Import scripts' }));
    const dialog = await screen.findByRole('dialog', { name: 'Import start scripts' });
    fireEvent.change(within(dialog).getByLabelText(/Paths on the engine host/), { target: { value: '/opt/sglang\n\n' } });
    const file = new File(['#!/bin/sh\npython -m sglang.launch_server --model-path /m\n'], 'broken.sh', { type: 'text/x-shellscript' });
    await act(async () => {
      fireEvent.change(within(dialog).getByLabelText(/upload scripts/i), { target: { files: [file] } });
    });
    await within(dialog).findByText('broken.sh');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const reports = await within(dialog).findAllByTestId('import-report');
    expect(reports[0]!.textContent).toContain('line 7: --foo is not an SGLang flag');
    expect(within(reports[1]!).getByText(/no sglang.launch_server/).className).toContain('issue-error');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Import 1 model' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const [dry, applied] = callsOf('catalog.importScripts');
    expect(dry).toEqual({ apply: false, paths: ['/opt/sglang'], scripts: [{ name: 'broken.sh', text: '#!/bin/sh\npython -m sglang.launch_server --model-path /m\n' }] });
    expect(applied).toMatchObject({ apply: true, expectedRevision: REV_1 });
    expect(screen.getByText('Imported kat-dev.')).toBeTruthy();
  });
});
