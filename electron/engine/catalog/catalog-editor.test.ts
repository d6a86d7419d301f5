import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { Catalog, ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { CatalogChange, DiffLine } from '../../../shared/switchboard-api.js';
import { FAKE_NVIDIA_SMI_BIN, writeDemoHost } from './write-demo-host.js';
import { EngineError } from '../../../shared/engine-error.js';
import { readTopology } from '../gpu/read-topology.js';
import { CatalogEditor, type CatalogEditorOptions, type ModelActivity } from './catalog-editor.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const VALID_FULL = join(FIXTURES, 'catalogs', 'valid-full.yaml');
const START_SCRIPTS = join(FIXTURES, 'start-scripts');

let root: string;
let dir: string;
beforeEach(async () => {
  root ??= await mkdtemp(join(tmpdir(), 'catalog-editor-'));
  dir = await mkdtemp(join(root, 'case-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A temp copy of the hand-written reference catalog (comments, aligned comments, flow sections). */
async function fullCopy(opts: Partial<CatalogEditorOptions> = {}) {
  const path = join(dir, 'switchboard.yaml');
  await copyFile(VALID_FULL, path);
  const applied: { catalog: Catalog; revision: string }[] = [];
  const editor = new CatalogEditor({ path, checkFiles: false, onApplied: (catalog, revision) => (applied.push({ catalog, revision }), []), ...opts });
  return { path, editor, applied, text: await readFile(path, 'utf8') };
}

/** The demo host: real model folders with config.json (Qwen 28 heads, Mistral 96, KAT 64), files checked. */
async function demoCopy(opts: Partial<CatalogEditorOptions> = {}) {
  const path = await writeDemoHost({ dir, routerPort: 8002, backendPort: 8001, timeScale: 1 });
  await writeFile(path, `# the demo host, edited by hand\n${await readFile(path, 'utf8')}`);
  const editor = new CatalogEditor({ path, ...opts });
  return { path, editor, text: await readFile(path, 'utf8') };
}

/** The entry as written in the file, with `patch` applied: what a form would send. */
function entry(text: string, id: string, patch: Record<string, unknown> = {}): ModelEntryInput {
  const models = (parseDocument(text).toJS() as { models: ModelEntryInput[] }).models;
  return { ...models.find((m) => m.id === id)!, ...patch } as ModelEntryInput;
}

/** Old text minus the removed lines equals new text minus the added ones: nothing else moved. */
function expectOnlyDiffChanged(oldText: string, newText: string, diff: DiffLine[]) {
  const removed = new Set(diff.filter((l) => l.kind === 'remove').map((l) => l.oldLine));
  const added = new Set(diff.filter((l) => l.kind === 'add').map((l) => l.newLine));
  const keep = (text: string, drop: Set<number | undefined>) => text.split('\n').filter((_, i) => !drop.has(i + 1));
  expect(keep(newText, added)).toEqual(keep(oldText, removed));
}

const changed = (diff: DiffLine[]) => ({
  removed: diff.filter((l) => l.kind === 'remove').map((l) => l.text),
  added: diff.filter((l) => l.kind === 'add').map((l) => l.text),
});

const full = await readFile(VALID_FULL, 'utf8');
const MISTRAL = 'mistral-large-2411-awq';

describe('CatalogEditor over the reference catalog: text edits keep the rest byte for byte', () => {
  it.each<[string, CatalogChange, string[], string[]]>([
    [
      'edit tp and gpus (inline values, the aligned comment kept)',
      { op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { tp: 2, gpus: [1, 2] }) },
      ['    tp: 4', '    gpus: [1, 2, 3, 4]                  # -> CUDA_VISIBLE_DEVICES'],
      ['    tp: 2', '    gpus: [1, 2]                  # -> CUDA_VISIBLE_DEVICES'],
    ],
    [
      'edit a flow map (its padding kept)',
      { op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { sampling: { temperature: 0.5, top_p: 0.9 } }) },
      ['    sampling: { temperature: 0.7 }'],
      ['    sampling: { temperature: 0.5, top_p: 0.9 }'],
    ],
    [
      'edit: drop a field, change env, add a field; defaults a form fills in are not written',
      {
        op: 'edit',
        id: 'qwen2.5-7b-instruct',
        model: { ...entry(full, 'qwen2.5-7b-instruct', { gpus: undefined, env: { HF_HUB_OFFLINE: '1', NOTE: 'a, b' }, contextLength: 8192 }), tp: 1, torchCompile: false, extraArgs: [], sampling: {} },
      },
      ['    gpus: [0]', '    env: { HF_HUB_OFFLINE: "1" }'],
      ['    env: { HF_HUB_OFFLINE: "1", NOTE: "a, b" }', '    contextLength: 8192'],
    ],
    ['edit: rename the id', { op: 'edit', id: 'kat-dev-awq-8bit', model: entry(full, 'kat-dev-awq-8bit', { id: 'kat-dev' }) }, ['  - id: kat-dev-awq-8bit'], ['  - id: kat-dev']],
    [
      'remove the middle model',
      { op: 'remove', id: 'qwen2.5-7b-instruct' },
      [
        '  - id: qwen2.5-7b-instruct',
        '    aliases: [qwen, qwen-small]',
        '    modelPath: Qwen/Qwen2.5-7B-Instruct   # a Hugging Face repo id: downloaded by SGLang',
        '    gpus: [0]',
        '    env: { HF_HUB_OFFLINE: "1" }',
      ],
      [],
    ],
    [
      'add a model at the end of the list',
      { op: 'add', model: { id: 'llama-8b', aliases: ['llama'], modelPath: '/models/Llama-3.1-8B-Instruct', gpus: [5] } },
      [],
      ['  - id: llama-8b', '    aliases: [llama]', '    modelPath: /models/Llama-3.1-8B-Instruct', '    gpus: [5]'],
    ],
    [
      'settings in flow-map sections (the double space after "router:" kept)',
      { op: 'settings', settings: { router: { port: 9000, loadingMessages: 'reasoning' }, backend: { drainTimeoutS: 60 } } },
      ['router:  { host: 127.0.0.1, port: 8002, apiKeys: [], loadingMessages: content }', 'backend: { kind: process, host: 127.0.0.1, port: 8001, readyTimeoutS: 1800, stopTimeoutS: 30 }'],
      [
        'router:  { host: 127.0.0.1, port: 9000, apiKeys: [], loadingMessages: reasoning }',
        'backend: { kind: process, host: 127.0.0.1, port: 8001, readyTimeoutS: 1800, stopTimeoutS: 30, drainTimeoutS: 60 }',
      ],
    ],
  ])('%s', async (_name, change, removed, added) => {
    const { editor, path, text, applied } = await fullCopy();
    const preview = await editor.preview(change);
    expect(preview).toMatchObject({ ok: true, revision: sha256(text) });
    expect(changed(preview.diff)).toEqual({ removed, added });
    expectOnlyDiffChanged(text, preview.text, preview.diff);
    expect(await readFile(path, 'utf8')).toBe(text);

    const result = await editor.apply(change, preview.revision);
    expect(await readFile(path, 'utf8')).toBe(preview.text);
    expect(result.document).toMatchObject({ path, text: preview.text, revision: sha256(preview.text) });
    expect(applied).toEqual([{ catalog: expect.objectContaining({ models: result.document.models }), revision: sha256(preview.text) }]);
  });

  it('diff lines carry old and new line numbers, three lines of context around a change', async () => {
    const { editor } = await fullCopy();
    const { diff } = await editor.preview({ op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { tp: 2 }) });
    expect(diff).toEqual([
      { kind: 'same', text: '    label: Mistral Large 2411 (AWQ)', oldLine: 7, newLine: 7 },
      { kind: 'same', text: '    aliases: [mistral]', oldLine: 8, newLine: 8 },
      { kind: 'same', text: '    modelPath: /models/Mistral-Large-Instruct-2411-AWQ', oldLine: 9, newLine: 9 },
      { kind: 'remove', text: '    tp: 4', oldLine: 10 },
      { kind: 'add', text: '    tp: 2', newLine: 10 },
      { kind: 'same', text: '    contextLength: 24576', oldLine: 11, newLine: 11 },
      { kind: 'same', text: '    quantization: awq_marlin', oldLine: 12, newLine: 12 },
      { kind: 'same', text: '    memFractionStatic: 0.80', oldLine: 13, newLine: 13 },
    ]);
  });

  it('document() returns the file as is, its revision (sha256) and models', async () => {
    const { editor, path, text } = await fullCopy();
    const doc = await editor.document();
    expect(doc).toMatchObject({ path, text, revision: sha256(text), issues: [] });
    expect(doc.models.map((m) => m.id)).toEqual([MISTRAL, 'qwen2.5-7b-instruct', 'kat-dev-awq-8bit']);
  });

  it('refuses a stale revision with conflict and leaves the file untouched', async () => {
    const { editor, path, text } = await fullCopy();
    const { revision } = await editor.document();
    await writeFile(path, `${text}# edited elsewhere\n`);
    const err = await editor.apply({ op: 'remove', id: 'kat-dev-awq-8bit' }, revision).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'conflict', message: expect.stringMatching(/changed on disk.*reload/) });
    expect(await readFile(path, 'utf8')).toBe(`${text}# edited elsewhere\n`);
  });

  it('of two writers with the same revision, the second gets conflict', async () => {
    const { editor, path } = await fullCopy();
    const { revision } = await editor.document();
    const results = await Promise.allSettled([editor.apply({ op: 'remove', id: 'kat-dev-awq-8bit' }, revision), editor.apply({ op: 'remove', id: 'qwen2.5-7b-instruct' }, revision)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    expect(await readFile(path, 'utf8')).toContain('qwen2.5-7b-instruct');
  });

  it('refuses an invalid change with bad_request and its issues; the file and folder stay as they were', async () => {
    const { editor, path, text } = await fullCopy();
    const change: CatalogChange = { op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { tp: 8, extraArgs: ['--port', '9000'] }) };
    const preview = await editor.preview(change);
    expect(preview.ok).toBe(false);
    expect(Object.keys(preview.fieldIssues).sort()).toEqual(['extraArgs', 'tp']);
    expect(preview.fieldIssues.tp).toEqual([expect.objectContaining({ severity: 'error', field: 'models[0].tp', line: 10, message: 'must be ≤ number of GPUs (4)' })]);
    const err = await editor.apply(change).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad_request', details: { issues: expect.arrayContaining([expect.objectContaining({ field: 'models[0].tp' })]) } });
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['switchboard.yaml']);
  });

  it('writes atomically: a new file (inode) with the old mode, no temp file left', async () => {
    const { editor, path } = await fullCopy();
    await chmod(path, 0o640);
    const before = await stat(path);
    await editor.apply({ op: 'remove', id: 'kat-dev-awq-8bit' });
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['switchboard.yaml']);
  });

  it.each<[string, CatalogChange]>([
    ['edit', { op: 'edit', id: 'nope', model: { id: 'nope', modelPath: '/m' } }],
    ['remove', { op: 'remove', id: 'nope' }],
  ])('%s of an unknown id: unknown_model listing the ids', async (_op, change) => {
    const { editor } = await fullCopy();
    await expect(editor.preview(change)).rejects.toMatchObject({ code: 'unknown_model', details: { known: [MISTRAL, 'qwen2.5-7b-instruct', 'kat-dev-awq-8bit'] } });
    await expect(editor.apply(change)).rejects.toMatchObject({ code: 'unknown_model' });
  });

  it.each<[string, CatalogChange, string, string]>([
    ['add with a taken alias', { op: 'add', model: { id: 'q2', aliases: ['qwen'], modelPath: '/m' } }, 'aliases', '"qwen" is already used in the catalog'],
    ["rename to another model's alias", { op: 'edit', id: 'kat-dev-awq-8bit', model: entry(full, 'kat-dev-awq-8bit', { id: 'mistral' }) }, 'id', '"mistral" is already used by models[0].aliases[0]'],
  ])('%s: not ok, the issue on the field', async (_name, change, field, message) => {
    const { editor } = await fullCopy();
    const preview = await editor.preview(change);
    expect(preview.ok).toBe(false);
    expect(preview.fieldIssues[field]).toEqual([expect.objectContaining({ severity: 'error', message })]);
  });

  it('removing the only model leaves `models: []`', async () => {
    await copyFile(join(FIXTURES, 'catalogs', 'minimal.yaml'), join(dir, 'switchboard.yaml'));
    const editor = new CatalogEditor({ path: join(dir, 'switchboard.yaml'), checkFiles: false });
    await editor.apply({ op: 'remove', id: 'qwen' });
    expect(await readFile(join(dir, 'switchboard.yaml'), 'utf8')).toBe('models: []\n');
  });
});

describe('CatalogEditor: checks on the host (files, heads, NVLink) and fieldIssues of the edited model', () => {
  const QWEN = 'qwen2.5-7b-instruct';

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['TP larger than the GPU list', { tp: 2 }, 'tp', /^must be ≤ number of GPUs \(1\)$/],
    ['TP not dividing the attention heads', { tp: 3, gpus: [0, 1, 2] }, 'tp', /^tp 3 does not divide num_attention_heads \(28\) in .*Qwen2.5-7B-Instruct\/config.json$/],
    ['a model path that does not exist', { modelPath: '/nonexistent/Qwen2.5-7B' }, 'modelPath', /model path \/nonexistent\/Qwen2.5-7B does not exist/],
  ])('%s', async (_name, patch, field, message) => {
    const { editor, text } = await demoCopy();
    const preview = await editor.preview({ op: 'edit', id: QWEN, model: entry(text, QWEN, patch) });
    expect(preview.ok).toBe(false);
    expect(preview.fieldIssues[field]).toEqual([expect.objectContaining({ severity: 'error', field: `models[0].${field}`, message: expect.stringMatching(message) })]);
    expect(preview.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('warns about a TP pair off NVLink with the host topology (fake nvidia-smi: pairs 1–2, 3–4)', async () => {
    const topology = (await readTopology(FAKE_NVIDIA_SMI_BIN)).topology;
    expect(topology).not.toBeNull();
    const { editor, text } = await demoCopy({ topology: () => topology });
    const preview = await editor.preview({ op: 'edit', id: QWEN, model: entry(text, QWEN, { tp: 2, gpus: [0, 5] }) });
    expect(preview.ok).toBe(true);
    expect(preview.fieldIssues.gpus).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/are NVLink-connected/) })]);
    // The demo's kat-dev runs tp 4 on [2-5] (there is no 4-GPU NVLink group, so no warning): the only
    // gpus warning is the edited model's.
    expect(preview.issues.filter((i) => i.field.endsWith('.gpus') && i.severity === 'warning').map((i) => i.field)).toEqual(['models[0].gpus']);
    expect(Object.keys(preview.fieldIssues)).toEqual(['gpus']);
  });

  it("settings(): the catalog's top-level sections; an update writes and reports through onApplied", async () => {
    const seen: string[] = [];
    const { editor, path, text } = await demoCopy({ onApplied: (_c, revision) => (seen.push(revision), ['router.port']) });
    expect(await editor.settings()).toMatchObject({
      configPath: path,
      router: { host: '127.0.0.1', port: 8002, loadingMessages: 'content', apiKeyCount: 0, adminKeyCount: 0 },
      backend: { kind: 'process', readyTimeoutS: 600, stopTimeoutS: 15, drainTimeoutS: 300 },
      gpu: { presetsW: [250, 300, 350], sampleIntervalMs: 1000, historyS: 3600 },
    });
    const result = await editor.updateSettings({ router: { port: 9002 }, gpu: { presetsW: [200, 275] } }, sha256(text));
    expect(result.restartRequired).toEqual(['router.port']);
    expect(seen).toEqual([result.document.revision]);
    expect(await editor.settings()).toMatchObject({ router: { port: 9002 }, gpu: { presetsW: [200, 275] } });
    const written = await readFile(path, 'utf8');
    expect(written.startsWith('# the demo host, edited by hand\n')).toBe(true);
    expect(changed((await editor.preview({ op: 'settings', settings: { router: { port: 9002 } } })).diff)).toEqual({ removed: [], added: [] });
  });

  it('settings issues are keyed by the setting', async () => {
    const { editor } = await demoCopy();
    const preview = await editor.preview({ op: 'settings', settings: { router: { port: 8001 } } });
    expect(preview.ok).toBe(false);
    expect(Object.keys(preview.fieldIssues)).toEqual(['backend.port']);
  });
});

describe('CatalogEditor: a model the engine is using', () => {
  const busy = (activity: ModelActivity) => ({ modelActivity: () => new Map([[MISTRAL, activity]]) });

  it.each<ModelActivity>(['loaded', 'loading', 'queued'])('refuses to remove it while %s (conflict, file untouched)', async (activity) => {
    const { editor, path, text } = await fullCopy(busy(activity));
    const preview = await editor.preview({ op: 'remove', id: MISTRAL });
    expect(preview.ok).toBe(false);
    await expect(editor.apply({ op: 'remove', id: MISTRAL })).rejects.toMatchObject({ code: 'conflict', message: `${MISTRAL} is ${activity}: stop it or switch away first` });
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('refuses a launch change (inline issue on the field) but lets label, aliases and sampling change', async () => {
    const { editor, path } = await fullCopy(busy('loaded'));
    const launch: CatalogChange = { op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { tp: 2, gpus: [1, 2] }) };
    const preview = await editor.preview(launch);
    expect(preview.ok).toBe(false);
    expect(Object.keys(preview.fieldIssues).sort()).toEqual(['gpus', 'tp']);
    expect(preview.fieldIssues.tp?.[0]?.message).toMatch(/stop it or switch away first/);
    await expect(editor.apply(launch)).rejects.toMatchObject({ code: 'conflict', details: { fields: ['tp', 'gpus'] } });

    const live: CatalogChange = { op: 'edit', id: MISTRAL, model: entry(full, MISTRAL, { label: 'Mistral L', aliases: ['mistral', 'large'], sampling: { temperature: 0.3 } }) };
    await editor.apply(live);
    expect(await readFile(path, 'utf8')).toContain('    aliases: [mistral, large]\n');
    // The request limit is read per request: it changes on a loaded model too.
    const limit: CatalogChange = { op: 'edit', id: MISTRAL, model: entry(await readFile(path, 'utf8'), MISTRAL, { maxConcurrent: 4, maxQueued: 2 }) };
    await editor.apply(limit);
    expect(await readFile(path, 'utf8')).toContain('    maxConcurrent: 4\n');
  });
});

describe('CatalogEditor.importScripts', () => {
  it('previews the fixture folder merged in: reports, added, skipped (an id already there); writes nothing', async () => {
    const { editor, path, text } = await fullCopy();
    const result = await editor.importScripts({ paths: [START_SCRIPTS], apply: false });
    expect(result.reports.map((r) => r.id)).toEqual(['llama8b', MISTRAL, 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
    expect(result.added).toEqual(['llama8b', 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
    expect(result.skipped).toEqual([{ id: MISTRAL, reason: `"${MISTRAL}" is already used in the catalog` }]);
    expect(result.preview.ok).toBe(true);
    expect(result.preview.text.startsWith(text)).toBe(true);
    expect(result.applied).toBeUndefined();
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('applies uploaded script texts and a single file; a missing path gets an error report', async () => {
    const { editor, path, text } = await fullCopy();
    const upload = { name: 'start_sglang_tiny.sh', text: 'python -m sglang.launch_server --model-path /models/tiny --served-model-name tiny --tp 1\n' };
    const result = await editor.importScripts({ paths: [join(START_SCRIPTS, 'start_sglang_llama8b.sh'), join(dir, 'missing.sh')], scripts: [upload], apply: true, expectedRevision: sha256(text) });
    expect(result.reports.map((r) => [r.script, r.id, r.notes.filter((n) => n.severity === 'error').length])).toEqual([
      [join(dir, 'missing.sh'), undefined, 1],
      [join(START_SCRIPTS, 'start_sglang_llama8b.sh'), 'llama8b', 0],
      ['start_sglang_tiny.sh', 'tiny', 0],
    ]);
    expect(result.added).toEqual(['llama8b', 'tiny']);
    const written = await readFile(path, 'utf8');
    expect(result.applied?.document.text).toBe(written);
    expect(written.startsWith(text)).toBe(true);
  });

  it('with apply, writes nothing when the merged catalog has errors (the preview says why)', async () => {
    const { editor, path, text } = await fullCopy({ checkFiles: true });
    const result = await editor.importScripts({ paths: [START_SCRIPTS], apply: true });
    expect(result.added).toEqual(['llama8b', 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
    expect(result.preview.ok).toBe(false);
    expect(result.preview.issues.some((i) => i.severity === 'error' && /does not exist/.test(i.message))).toBe(true);
    expect(result.applied).toBeUndefined();
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('refuses to read a file that is not a .sh script', async () => {
    const { editor } = await fullCopy();
    const result = await editor.importScripts({ paths: [VALID_FULL], apply: false });
    expect(result.reports).toEqual([{ script: VALID_FULL, notes: [{ severity: 'error', message: `${VALID_FULL} is not a folder or a .sh start script` }] }]);
    expect(result.added).toEqual([]);
  });
});
