import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import { validateCatalog } from './validate-catalog.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'catalog-validate-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function check(models: ModelEntryInput[], rest: Partial<CatalogInput> = {}, checkFiles = false) {
  return validateCatalog(catalogSchema.parse({ ...rest, models }), { checkFiles });
}

async function modelDir(name: string, config: unknown): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('validateCatalog without files', () => {
  it.each<[string, ModelEntryInput[], Partial<CatalogInput>, { severity: string; field: string; message: string }[]]>([
    ['alias equal to its own id', [{ id: 'q', aliases: ['q'], modelPath: '/m' }], {}, [{ severity: 'error', field: 'models[0].aliases[0]', message: '"q" is already used by models[0].id' }]],
    [
      'alias equal to another id',
      [
        { id: 'a', modelPath: '/m' },
        { id: 'b', aliases: ['a'], modelPath: '/m' },
      ],
      {},
      [{ severity: 'error', field: 'models[1].aliases[0]', message: '"a" is already used by models[0].id' }],
    ],
    [
      'id equal to an earlier alias',
      [
        { id: 'a', aliases: ['b'], modelPath: '/m' },
        { id: 'b', modelPath: '/m' },
      ],
      {},
      [{ severity: 'error', field: 'models[1].id', message: '"b" is already used by models[0].aliases[0]' }],
    ],
    ['GPU listed twice', [{ id: 'a', modelPath: '/m', gpus: [1, 2, 1] }], {}, [{ severity: 'error', field: 'models[0].gpus[2]', message: 'GPU 1 is listed twice' }]],
    ['empty gpus list', [{ id: 'a', modelPath: '/m', gpus: [] }], {}, [{ severity: 'error', field: 'models[0].tp', message: 'must be ≤ number of GPUs (0)' }]],
    [
      'gpus and env CUDA_VISIBLE_DEVICES',
      [{ id: 'a', modelPath: '/m', gpus: [0], env: { CUDA_VISIBLE_DEVICES: '0' } }],
      {},
      [{ severity: 'error', field: 'models[0].gpus', message: 'conflicts with env.CUDA_VISIBLE_DEVICES; set only one of them' }],
    ],
    [
      'gpus and sglang.env CUDA_VISIBLE_DEVICES',
      [{ id: 'a', modelPath: '/m', gpus: [0] }],
      { sglang: { env: { CUDA_VISIBLE_DEVICES: '1' } } },
      [{ severity: 'error', field: 'models[0].gpus', message: 'conflicts with sglang.env.CUDA_VISIBLE_DEVICES; set only one of them' }],
    ],
    [
      'memFractionStatic above 0.95',
      [{ id: 'a', modelPath: '/m', memFractionStatic: 0.96 }],
      {},
      [{ severity: 'warning', field: 'models[0].memFractionStatic', message: '0.96 leaves almost no GPU memory for activations and CUDA graphs; expect out-of-memory errors' }],
    ],
    [
      'maxQueued without maxConcurrent',
      [{ id: 'a', modelPath: '/m', maxQueued: 4 }],
      {},
      [{ severity: 'warning', field: 'models[0].maxQueued', message: 'is ignored without maxConcurrent (no limit, so no request ever waits for a free place)' }],
    ],
    ['tilde in modelPath', [{ id: 'a', modelPath: '~/models/q' }], {}, [{ severity: 'error', field: 'models[0].modelPath', message: 'no shell expands "~" here; write the full path' }]],
    [
      'relative modelPath',
      [{ id: 'a', modelPath: './models/q' }],
      {},
      [{ severity: 'error', field: 'models[0].modelPath', message: '"./models/q" must be an absolute path or a Hugging Face repo id (org/name)' }],
    ],
    ['Hugging Face id is fine', [{ id: 'a', modelPath: 'Qwen/Qwen2.5-7B-Instruct' }], {}, []],
    ['relative script', [{ id: 'a', script: 'start.sh' }], {}, [{ severity: 'error', field: 'models[0].script', message: '"start.sh" must be an absolute path' }]],
    [
      'launch fields on a script model',
      [{ id: 'a', script: '/s.sh', tp: 2, extraArgs: ['--x'] }],
      {},
      [
        { severity: 'warning', field: 'models[0].tp', message: 'is ignored for script models (the script decides)' },
        { severity: 'warning', field: 'models[0].extraArgs', message: 'is ignored for script models (the script decides)' },
      ],
    ],
    ['a warm launch model is fine', [{ id: 'a', modelPath: '/m', switchMode: 'warm' }], {}, []],
    [
      "warm on a script model: its flags are the script's",
      [{ id: 'a', script: '/s.sh', switchMode: 'warm' }],
      {},
      [
        {
          severity: 'error',
          field: 'models[0].switchMode',
          message: 'warm needs a launch model (modelPath): a script decides its own flags, and a server without --enable-memory-saver frees nothing when put to sleep',
        },
      ],
    ],
    [
      'warm on an upstream model is ignored',
      [{ id: 'a', upstream: 'http://h:1', switchMode: 'warm' }],
      {},
      [{ severity: 'warning', field: 'models[0].switchMode', message: 'is ignored for upstream models (served elsewhere, never launched)' }],
    ],
    [
      "the memory-saver flags are switchMode's",
      [{ id: 'a', modelPath: '/m', extraArgs: ['--enable-memory-saver', '--enable-weights-cpu-backup'] }],
      {},
      [
        { severity: 'error', field: 'models[0].extraArgs[0]', message: '--enable-memory-saver does not belong in extraArgs: use switchMode: warm' },
        { severity: 'error', field: 'models[0].extraArgs[1]', message: '--enable-weights-cpu-backup does not belong in extraArgs: use switchMode: warm' },
      ],
    ],
    [
      'warm with expandable segments (torch_memory_saver refuses to start)',
      [{ id: 'a', modelPath: '/m', switchMode: 'warm', env: { PYTORCH_CUDA_ALLOC_CONF: 'expandable_segments:True' } }],
      {},
      [{ severity: 'error', field: 'models[0].env.PYTORCH_CUDA_ALLOC_CONF', message: 'expandable_segments:True cannot be used with switchMode: warm (torch_memory_saver refuses to start with it)' }],
    ],
    [
      'same port, localhost and 127.0.0.1',
      [],
      { router: { host: 'localhost', port: 9000 }, backend: { host: '127.0.0.1', port: 9000 } },
      [{ severity: 'error', field: 'backend.port', message: 'same port as router.port (9000) on an overlapping host; pick another port' }],
    ],
    ['same port on distinct addresses is fine', [], { router: { host: '192.168.1.5', port: 9000 }, backend: { host: '127.0.0.1', port: 9000 } }, []],
  ])('%s', (_, models, rest, expected) => {
    expect(check(models, rest).map(({ severity, field, message }) => ({ severity, field, message }))).toEqual(expected);
  });
});

describe('validateCatalog with files', () => {
  it.each<[string, unknown, number, string | undefined]>([
    ['heads divide', { num_attention_heads: 96, num_key_value_heads: 8 }, 4, undefined],
    ['heads do not divide', { num_attention_heads: 28, num_key_value_heads: 4 }, 8, 'tp 8 does not divide num_attention_heads (28)'],
    ['KV heads do not divide', { num_attention_heads: 24, num_key_value_heads: 6 }, 4, 'tp 4 does not divide num_key_value_heads (6)'],
    ['fewer KV heads than tp are replicated', { num_attention_heads: 96, num_key_value_heads: 8 }, 16, undefined],
    ['KV heads default to heads', { num_attention_heads: 40 }, 3, 'tp 3 does not divide num_attention_heads (40)'],
    [
      'multimodal text_config',
      { architectures: ['Gemma3ForConditionalGeneration'], text_config: { num_attention_heads: 8, num_key_value_heads: 4 } },
      3,
      'tp 3 does not divide num_attention_heads (8)',
    ],
  ])('%s', async (name, config, tp, problem) => {
    const dir = await modelDir(name.replace(/\W+/g, '-'), config);
    const issues = check([{ id: 'm', modelPath: dir, tp }], {}, true);
    expect(issues.map((i) => i.message)).toEqual(problem ? [`${problem} in ${join(dir, 'config.json')}`] : []);
    if (problem) expect(issues[0]).toMatchObject({ severity: 'error', field: 'models[0].tp' });
  });

  it('warns when contextLength exceeds max_position_embeddings, unless SGLang is told to allow it', async () => {
    const dir = await modelDir('ctx', { num_attention_heads: 32, max_position_embeddings: 32768 });
    expect(check([{ id: 'm', modelPath: dir, contextLength: 65536 }], {}, true)).toEqual([
      expect.objectContaining({ severity: 'warning', field: 'models[0].contextLength', message: expect.stringMatching(/^exceeds max_position_embeddings \(32768\)/) }),
    ]);
    expect(check([{ id: 'm', modelPath: dir, contextLength: 65536, env: { SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN: '1' } }], {}, true)).toEqual([]);
  });

  it('warns about a model folder without config.json', async () => {
    const dir = join(tmp, 'no-config');
    await mkdir(dir);
    expect(check([{ id: 'm', modelPath: dir }], {}, true)).toEqual([expect.objectContaining({ severity: 'warning', message: `${dir} has no config.json; SGLang needs one to load the model` })]);
  });

  it('accepts a single-file (GGUF) model path without config.json', async () => {
    const file = join(tmp, 'model.gguf');
    await writeFile(file, '');
    expect(check([{ id: 'm', modelPath: file }], {}, true)).toEqual([]);
  });

  it('needs the script to exist and be executable', async () => {
    const script = join(tmp, 'start_sglang_x.sh');
    await writeFile(script, '#!/bin/sh\n');
    await chmod(script, 0o644);
    expect(check([{ id: 'm', script }], {}, true).map((i) => i.message)).toEqual([`script ${script} is not executable (chmod +x it)`]);
    await chmod(script, 0o755);
    expect(check([{ id: 'm', script }], {}, true)).toEqual([]);
    expect(check([{ id: 'm', script: `${script}.gone` }], {}, true).map((i) => i.message)).toEqual([`script ${script}.gone does not exist`]);
  });

  it('checks an absolute sglang.command program', () => {
    const issues = check([{ id: 'm', modelPath: 'org/model' }], { sglang: { command: ['/nonexistent/venv/bin/python', '-m', 'sglang.launch_server'] } }, true);
    expect(issues).toEqual([expect.objectContaining({ field: 'sglang.command[0]', message: 'program /nonexistent/venv/bin/python does not exist' })]);
  });

  it('warns when a catalog with API keys is readable by others', async () => {
    const path = join(tmp, 'keys.yaml');
    await writeFile(path, '');
    await chmod(path, 0o644);
    const catalog = catalogSchema.parse({ router: { apiKeys: ['sk-1'] } });
    expect(validateCatalog(catalog, { catalogPath: path })).toEqual([expect.objectContaining({ severity: 'warning', field: 'router.apiKeys' })]);
    await chmod(path, 0o600);
    expect(validateCatalog(catalog, { catalogPath: path })).toEqual([]);
  });

  it.each([
    [0o644, 'error'],
    [0o604, 'error'],
    [0o640, null],
    [0o600, null],
  ])('with admin keys, a catalog of mode %o is %s', async (mode, severity) => {
    const path = join(tmp, `admin-keys-${mode.toString(8)}.yaml`);
    await writeFile(path, '');
    await chmod(path, mode);
    const catalog = catalogSchema.parse({ router: { adminKeys: ['admin-key-0123456789'] } });
    const issues = validateCatalog(catalog, { catalogPath: path });
    if (severity === null) expect(issues).toEqual([]);
    else expect(issues).toEqual([expect.objectContaining({ severity, field: 'router.adminKeys', message: expect.stringContaining('every user can read it') })]);
  });

  it('skips all file checks when checkFiles is false', () => {
    expect(
      check(
        [
          { id: 'm', modelPath: '/nonexistent/model' },
          { id: 's', script: '/nonexistent/s.sh' },
        ],
        {},
        false,
      ),
    ).toEqual([]);
  });
});

describe('validateCatalog for an engine listening beyond loopback (exposedOn)', () => {
  const run = (adminKeys: string[], exposedOn: string | undefined) =>
    validateCatalog(catalogSchema.parse({ router: { adminKeys }, models: [{ id: 'a', modelPath: '/m' }] }), { checkFiles: false, exposedOn }).map((i) => [i.severity, i.field]);

  it.each<[string, string[], string | undefined, string[][]]>([
    ['no admin key beyond loopback', [], '192.168.1.5', [['error', 'router.adminKeys']]],
    ['an admin key beyond loopback', ['k'.repeat(32)], '192.168.1.5', []],
    ['no admin key, engine on loopback (the caller passes no exposedOn)', [], undefined, []],
  ])('%s', (_what, adminKeys, exposedOn, issues) => {
    expect(run(adminKeys, exposedOn)).toEqual(issues);
  });
});
