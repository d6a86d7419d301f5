import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../../shared/catalog-schema.js';
import { draftFieldOf, draftFromEntry, draftToInput, emptyDraft, joinWords, splitWords } from './model-draft.js';

const MISTRAL: ModelEntry = {
  id: 'mistral-large-2411-awq',
  label: 'Mistral Large 2411 (AWQ)',
  aliases: ['mistral'],
  modelPath: '/models/Mistral-Large-Instruct-2411-AWQ',
  tp: 4,
  contextLength: 24576,
  quantization: 'awq_marlin',
  memFractionStatic: 0.8,
  torchCompile: true,
  pinned: false,
  gpus: [1, 2, 3, 4],
  powerLimitW: 300,
  extraArgs: ['--sleep-on-idle', '--json-model-override-args', '{"rope_scaling": null}'],
  env: { NCCL_P2P_LEVEL: 'NVL' },
  sampling: { temperature: 0.7 },
};

describe('model drafts', () => {
  it('round-trips a catalog entry through the form, sampling kept', () => {
    const { draft, kept } = draftFromEntry(MISTRAL);
    expect(draft).toMatchObject({ aliases: 'mistral', gpus: '1, 2, 3, 4', tp: '4', extraArgs: `--sleep-on-idle --json-model-override-args '{"rope_scaling": null}'`, env: 'NCCL_P2P_LEVEL=NVL' });
    expect(draftToInput(draft, kept, { includeDefaults: true })).toEqual({ model: MISTRAL, issues: {} });
  });

  it('adds leave out empty fields and defaults; edits send them', () => {
    const draft = { ...emptyDraft(), id: 'qwen', location: '/models/qwen' };
    expect(draftToInput(draft).model).toEqual({ id: 'qwen', modelPath: '/models/qwen' });
    expect(draftToInput(draft, {}, { includeDefaults: true }).model).toEqual({ id: 'qwen', modelPath: '/models/qwen', aliases: [], tp: 1, torchCompile: false, pinned: false, extraArgs: [], env: {} });
  });

  it('round-trips the slot fields: pinned, idle unload (0 = never) and port', () => {
    const coder: ModelEntry = { ...MISTRAL, id: 'coder', pinned: true, idleUnloadS: 0, port: 30010 };
    const { draft, kept } = draftFromEntry(coder);
    expect(draft).toMatchObject({ pinned: true, idleUnloadS: '0', port: '30010' });
    expect(draftToInput(draft, kept, { includeDefaults: true })).toEqual({ model: coder, issues: {} });
    expect(draftFromEntry(MISTRAL).draft).toMatchObject({ pinned: false, idleUnloadS: '', port: '' });
  });

  it.each([
    { name: 'empty: catalog default and an assigned port', idleUnloadS: ' ', port: '', model: {}, issues: [] },
    { name: 'set', idleUnloadS: '300', port: '30001', model: { idleUnloadS: 300, port: 30001 }, issues: [] },
    { name: 'not numbers', idleUnloadS: 'soon', port: 'auto', model: {}, issues: ['idleUnloadS', 'port'] },
    { name: 'out of range', idleUnloadS: '-5', port: '70000', model: {}, issues: ['idleUnloadS', 'port'] },
  ])('reads idle unload and port: $name', ({ idleUnloadS, port, model, issues }) => {
    const out = draftToInput({ ...emptyDraft(), id: 'x', location: '/m', idleUnloadS, port });
    expect(out.model).toEqual({ id: 'x', modelPath: '/m', ...model });
    expect(Object.keys(out.issues).sort()).toEqual(issues);
  });

  it.each([
    { name: 'empty: no limit', maxConcurrent: '', maxQueued: '', model: {}, issues: [] },
    { name: 'set', maxConcurrent: '4', maxQueued: '0', model: { maxConcurrent: 4, maxQueued: 0 }, issues: [] },
    { name: 'zero at once', maxConcurrent: '0', maxQueued: '', model: {}, issues: ['maxConcurrent'] },
    { name: 'not numbers', maxConcurrent: 'many', maxQueued: '-1', model: {}, issues: ['maxConcurrent', 'maxQueued'] },
  ])('reads the request limit: $name', ({ maxConcurrent, maxQueued, model, issues }) => {
    const out = draftToInput({ ...emptyDraft(), id: 'x', location: '/m', maxConcurrent, maxQueued });
    expect(out.model).toEqual({ id: 'x', modelPath: '/m', ...model });
    expect(Object.keys(out.issues).sort()).toEqual(issues);
  });

  it('round-trips the request limit, for upstream models too', () => {
    const limited: ModelEntry = { ...MISTRAL, maxConcurrent: 2, maxQueued: 8 };
    const { draft, kept } = draftFromEntry(limited);
    expect(draft).toMatchObject({ maxConcurrent: '2', maxQueued: '8' });
    expect(draftToInput(draft, kept, { includeDefaults: true })).toEqual({ model: limited, issues: {} });
    expect(draftToInput({ ...draft, source: 'upstream', location: 'http://h:1' }).model).toMatchObject({ maxConcurrent: 2, maxQueued: 8 });
    expect(draftFieldOf('models[0].maxQueued')).toBe('maxQueued');
  });

  it('sends pinned on an add only when set, and never for an upstream model', () => {
    const draft = { ...emptyDraft(), id: 'x', location: '/m', pinned: true, idleUnloadS: '60', port: '30001' };
    expect(draftToInput(draft).model).toEqual({ id: 'x', modelPath: '/m', pinned: true, idleUnloadS: 60, port: 30001 });
    expect(draftToInput({ ...draft, source: 'upstream', location: 'http://h:1' }, {}, { includeDefaults: true }).model).toEqual({ id: 'x', aliases: [], upstream: 'http://h:1' });
  });

  it('round-trips switchMode: warm both ways, cold written only where the entry had it', () => {
    const warm: ModelEntry = { ...MISTRAL, id: 'warm', switchMode: 'warm' };
    const { draft, kept } = draftFromEntry(warm);
    expect(draft.switchMode).toBe('warm');
    expect(draftToInput(draft, kept, { includeDefaults: true })).toEqual({ model: warm, issues: {} });
    // Warm → cold on an entry that had the field: cold is written.
    expect(draftToInput({ ...draft, switchMode: 'cold' }, kept, { includeDefaults: true }).model.switchMode).toBe('cold');
    // An entry without the field: cold is not added, warm is.
    const plain = draftFromEntry(MISTRAL);
    expect(plain.draft.switchMode).toBe('cold');
    expect(draftToInput(plain.draft, plain.kept, { includeDefaults: true }).model).not.toHaveProperty('switchMode');
    expect(draftToInput({ ...plain.draft, switchMode: 'warm' }, plain.kept, { includeDefaults: true }).model.switchMode).toBe('warm');
    // An explicit cold stays as written.
    const cold: ModelEntry = { ...MISTRAL, switchMode: 'cold' };
    expect(draftToInput(draftFromEntry(cold).draft, draftFromEntry(cold).kept, { includeDefaults: true }).model).toEqual(cold);
  });

  it('sends switchMode on an add only when warm, and only for a launch model', () => {
    const draft = { ...emptyDraft(), id: 'x', location: '/m' };
    expect(draftToInput(draft).model).not.toHaveProperty('switchMode');
    expect(draftToInput({ ...draft, switchMode: 'warm' }).model).toEqual({ id: 'x', modelPath: '/m', switchMode: 'warm' });
    const { kept } = draftFromEntry({ ...MISTRAL, switchMode: 'warm' });
    for (const source of ['script', 'upstream'] as const) {
      expect(draftToInput({ ...draft, source, switchMode: 'warm' }, kept, { includeDefaults: true }).model).not.toHaveProperty('switchMode');
    }
  });

  it('sends only the fields of the chosen source', () => {
    const { draft } = draftFromEntry(MISTRAL);
    expect(draftToInput({ ...draft, source: 'upstream', location: 'http://10.0.0.7:30000' }).model).toEqual({
      id: 'mistral-large-2411-awq',
      label: 'Mistral Large 2411 (AWQ)',
      aliases: ['mistral'],
      upstream: 'http://10.0.0.7:30000',
    });
    expect(Object.keys(draftToInput({ ...draft, source: 'script', location: '/opt/start.sh' }).model).sort()).toEqual(['aliases', 'env', 'gpus', 'id', 'label', 'powerLimitW', 'script', 'tp']);
  });

  it('reports text it cannot parse per field and leaves it out', () => {
    const draft = { ...emptyDraft(), id: 'x', location: '/m', tp: 'four', gpus: '1, two', memFractionStatic: 'lots', env: 'NOEQUALS', extraArgs: `--x 'open`, powerLimitW: '1:300 2' };
    const { model, issues } = draftToInput(draft);
    expect(Object.keys(issues).sort()).toEqual(['env', 'extraArgs', 'gpus', 'memFractionStatic', 'powerLimitW', 'tp']);
    expect(model).toEqual({ id: 'x', modelPath: '/m' });
  });

  it('reads per-GPU power limits', () => {
    expect(draftToInput({ ...emptyDraft(), id: 'x', location: '/m', powerLimitW: '1:300, 2=280' }).model.powerLimitW).toEqual({ '1': 300, '2': 280 });
  });

  it('splits and joins words like a shell', () => {
    expect(splitWords(`--a 1  --b "two words" --c 'x"y' --d ""`)).toEqual(['--a', '1', '--b', 'two words', '--c', 'x"y', '--d', '']);
    const words = ['plain', 'two words', `it's`, 'say "hi"', ''];
    expect(splitWords(joinWords(words))).toEqual(words);
  });

  it('places engine issue keys on form fields', () => {
    expect(
      ['tp', 'gpus', 'modelPath', 'upstream', 'script', 'env', 'entry', 'models[2].memFractionStatic', 'sampling', 'models[1].port', 'pinned', 'idleUnloadS', 'models[0].switchMode'].map(draftFieldOf),
    ).toEqual(['tp', 'gpus', 'location', 'location', 'location', 'env', null, 'memFractionStatic', null, 'port', 'pinned', 'idleUnloadS', 'switchMode']);
  });
});
