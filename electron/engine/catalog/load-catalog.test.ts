import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogIssue } from '../../../shared/catalog-schema.js';
import { formatCatalogIssues, loadCatalogFile, parseCatalogText } from './load-catalog.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/catalogs/', import.meta.url));

let tmp: string;
let modelDir: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'catalog-load-'));
  modelDir = join(tmp, 'Qwen2.5-7B-Instruct');
  await mkdir(modelDir);
  // Qwen2.5-7B-Instruct's real numbers: 28 heads, 4 KV heads.
  await writeFile(join(modelDir, 'config.json'), JSON.stringify({ num_attention_heads: 28, num_key_value_heads: 4, max_position_embeddings: 32768 }));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function fixture(name: string): Promise<string> {
  return (await readFile(join(FIXTURES, name), 'utf8')).replaceAll('__MODEL_DIR__', modelDir);
}

type Expected = Pick<CatalogIssue, 'line' | 'field'> & { column?: number; message: string | RegExp };

const INVALID: { file: string; checkFiles?: boolean; errors: Expected[] }[] = [
  {
    file: 'invalid-yaml.yaml',
    errors: [{ line: 6, column: 5, field: '', message: /^YAML: Flow sequence .* must be .*end with a \]/ }],
  },
  { file: 'invalid-duplicate-key.yaml', errors: [{ line: 5, column: 5, field: '', message: 'YAML: Map keys must be unique' }] },
  {
    file: 'invalid-unknown-key.yaml',
    errors: [{ line: 7, column: 5, field: 'models[1].tpp', message: 'unknown field "tpp" (did you mean "tp"?)' }],
  },
  {
    file: 'invalid-wrong-type.yaml',
    errors: [
      { line: 2, column: 9, field: 'router.port', message: 'must be a number, got "8002"' },
      { line: 6, column: 9, field: 'models[0].tp', message: 'must be a number, got "two"' },
      { line: 7, column: 19, field: 'models[0].torchCompile', message: 'must be true or false, got "yes" (YAML 1.2 reads yes/no/on/off as text)' },
      {
        line: 9,
        column: 50,
        field: 'models[0].env.SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN',
        message: 'must be a string, got number 1; quote it: "1"',
      },
    ],
  },
  { file: 'invalid-tp-gpus.yaml', errors: [{ line: 6, column: 9, field: 'models[1].tp', message: 'must be ≤ number of GPUs (2)' }] },
  {
    file: 'invalid-tp-heads.yaml',
    checkFiles: true,
    errors: [{ line: 5, column: 9, field: 'models[0].tp', message: /^tp 8 does not divide num_attention_heads \(28\) in .*config\.json$/ }],
  },
  {
    file: 'invalid-duplicate-names.yaml',
    errors: [
      { line: 7, column: 22, field: 'models[1].aliases[1]', message: '"large" is already used by models[0].aliases[0]' },
      { line: 8, column: 9, field: 'models[2].id', message: '"mistral" is already used by models[0].id' },
    ],
  },
  {
    file: 'invalid-missing-model-path.yaml',
    checkFiles: true,
    errors: [{ line: 3, column: 16, field: 'models[0].modelPath', message: 'model path /nonexistent/models/Qwen2.5-7B-Instruct does not exist' }],
  },
  {
    file: 'invalid-quantization.yaml',
    errors: [{ line: 4, column: 19, field: 'models[0].quantization', message: /^must be one of awq, fp8, .*mxfp4; got "awq-marlin" \(did you mean "awq_marlin"\?\)$/ }],
  },
  {
    file: 'invalid-path-and-script.yaml',
    errors: [{ line: 4, column: 13, field: 'models[0].script', message: 'give only one of modelPath, script and upstream (found modelPath and script)' }],
  },
  {
    file: 'invalid-upstream.yaml',
    errors: [
      { line: 3, column: 15, field: 'models[0].upstream', message: 'must be an http:// or https:// URL' },
      { line: 5, column: 15, field: 'models[1].upstream', message: 'give only one of modelPath, script and upstream (found script and upstream)' },
    ],
  },
  {
    file: 'invalid-ports.yaml',
    errors: [{ line: 2, column: 35, field: 'backend.port', message: 'same port as router.port (8001) on an overlapping host; pick another port' }],
  },
  {
    file: 'invalid-extra-args.yaml',
    errors: [
      { line: 4, column: 17, field: 'models[0].extraArgs[0]', message: '--port does not belong in extraArgs: use port, or leave it to backend.portRange' },
      { line: 4, column: 55, field: 'models[0].extraArgs[3]', message: '--tp-size does not belong in extraArgs: use tp' },
    ],
  },
];

describe('parseCatalogText: invalid fixtures', () => {
  it.each(INVALID)('$file', async ({ file, checkFiles = false, errors }) => {
    const result = parseCatalogText(await fixture(file), { checkFiles });
    expect(result.ok).toBe(false);
    const found = result.issues.filter((i) => i.severity === 'error');
    expect(found).toHaveLength(errors.length);
    errors.forEach((want, k) => {
      expect(found[k]).toMatchObject({ line: want.line, field: want.field, ...(want.column ? { column: want.column } : {}) });
      if (typeof want.message === 'string') expect(found[k]?.message).toBe(want.message);
      else expect(found[k]?.message).toMatch(want.message);
    });
  });
});

describe('parseCatalogText: valid fixtures', () => {
  it('reads the full example with every field', async () => {
    const result = parseCatalogText(await fixture('valid-full.yaml'), { checkFiles: false });
    if (!result.ok) throw new Error(formatCatalogIssues('valid-full.yaml', result.issues));
    expect(result.issues).toEqual([]);
    const { catalog } = result;
    expect(catalog.router).toEqual({
      host: '127.0.0.1',
      port: 8002,
      apiKeys: [],
      adminKeys: [],
      allowedOrigins: [],
      allowedHosts: [],
      corsOrigins: [],
      loadingMessages: 'content',
      listAliases: false,
    });
    expect(catalog.backend).toMatchObject({ kind: 'process', port: 8001, readyTimeoutS: 1800, stopTimeoutS: 30 });
    expect(catalog.models.map((m) => m.id)).toEqual(['mistral-large-2411-awq', 'qwen2.5-7b-instruct', 'kat-dev-awq-8bit']);
    expect(catalog.models[0]).toMatchObject({ tp: 4, contextLength: 24576, quantization: 'awq_marlin', memFractionStatic: 0.8, torchCompile: true, gpus: [1, 2, 3, 4] });
    expect(catalog.models[1]).toMatchObject({ tp: 1, torchCompile: false, extraArgs: [], env: { HF_HUB_OFFLINE: '1' } });
    expect(catalog.models[2]).toMatchObject({ script: '/opt/sglang/start_sglang_katdev.sh', aliases: [] });
  });

  it('fills defaults for a minimal file', async () => {
    const result = parseCatalogText(await fixture('minimal.yaml'), { checkFiles: false });
    expect(result.ok && result.catalog).toMatchObject({
      router: { host: '127.0.0.1', port: 8002 },
      backend: { kind: 'process', host: '127.0.0.1', port: 8001 },
      sglang: { command: ['python3', '-m', 'sglang.launch_server'], env: {} },
      models: [{ id: 'qwen', tp: 1, aliases: [], extraArgs: [] }],
    });
  });

  it('accepts an empty file as a catalog without models', () => {
    const result = parseCatalogText('# nothing yet\n', { checkFiles: false });
    expect(result.ok && result.catalog.models).toEqual([]);
  });

  it('rejects a top-level list and says so', () => {
    const result = parseCatalogText('- id: qwen\n', { checkFiles: false });
    expect(result.ok).toBe(false);
    expect(result.issues[0]).toMatchObject({ field: '', line: 1, message: 'must be a map (key: value), got a list' });
  });

  it('keeps warnings beside a loaded catalog', () => {
    const text = 'models:\n  - id: qwen\n    modelPath: /models/q\n    memFractionStatic: 0.97\n';
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok).toBe(true);
    expect(result.issues).toEqual([expect.objectContaining({ severity: 'warning', field: 'models[0].memFractionStatic', line: 4, column: 24 })]);
  });
});

describe('loadCatalogFile', () => {
  it('names the path of a missing file', async () => {
    const path = join(tmp, 'nope', 'switchboard.yaml');
    const result = await loadCatalogFile(path);
    expect(result).toEqual({ ok: false, issues: [{ severity: 'error', field: '', message: `catalog file ${path} does not exist` }] });
  });

  it('checks files by default', async () => {
    const path = join(tmp, 'checked.yaml');
    await writeFile(path, `models:\n  - id: qwen\n    modelPath: ${modelDir}\n    tp: 3\n`);
    const result = await loadCatalogFile(path);
    expect(result.ok).toBe(false);
    expect(result.issues[0]).toMatchObject({ field: 'models[0].tp', line: 4, message: expect.stringContaining('tp 3 does not divide num_attention_heads (28)') });
  });
});

describe('formatCatalogIssues', () => {
  it('prints file:line:column field: message, one line each', () => {
    const text = formatCatalogIssues('switchboard.yaml', [
      { severity: 'error', field: 'models[1].tp', line: 14, column: 5, message: 'must be ≤ number of GPUs (2)' },
      { severity: 'warning', field: 'models[0].memFractionStatic', line: 9, column: 24, message: 'too high' },
      { severity: 'error', field: '', message: 'catalog file /x does not exist' },
    ]);
    expect(text.split('\n')).toEqual([
      'switchboard.yaml:14:5 models[1].tp: must be ≤ number of GPUs (2)',
      'switchboard.yaml:9:24 warning: models[0].memFractionStatic: too high',
      'switchboard.yaml: catalog file /x does not exist',
    ]);
  });
});

describe('router access settings', () => {
  it.each([
    ['adminKeys: [short]', 'router.adminKeys[0]', /at least 16 characters/],
    ['apiKeys: [same-key-0123456789]\n  adminKeys: [same-key-0123456789]', 'router.adminKeys[0]', /the same key is in apiKeys/],
    ['allowedOrigins: ["http://localhost:5173/"]', 'router.allowedOrigins[0]', /must be an origin such as http:\/\/localhost:5173/],
    ['allowedOrigins: ["localhost:5173"]', 'router.allowedOrigins[0]', /must be an origin/],
    ['allowedOrigins: ["HTTP://Localhost:5173"]', 'router.allowedOrigins[0]', /must be an origin/],
    ['corsOrigins: ["https://chat.example/path"]', 'router.corsOrigins[0]', /must be an origin/],
    ['allowedHosts: ["gpu-box.lan:8002"]', 'router.allowedHosts[0]', /without a port/],
    ['allowedHosts: ["http://gpu-box.lan"]', 'router.allowedHosts[0]', /without a port/],
  ])('refuses %s', (yaml, field, message) => {
    const result = parseCatalogText(`router:\n  ${yaml}\n`, { checkFiles: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'error', field, message: expect.stringMatching(message) })]));
  });

  it.each([
    ['metrics:\n  keys: [short]', 'metrics.keys[0]', /at least 16 characters/],
    ['router:\n  adminKeys: [same-key-0123456789]\nmetrics:\n  keys: [same-key-0123456789]', 'metrics.keys[0]', /must open \/metrics only/],
    ['router:\n  apiKeys: [same-key-0123456789]\nmetrics:\n  keys: [same-key-0123456789]', 'metrics.keys[0]', /must open \/metrics only/],
  ])('refuses metrics keys: %s', (yaml, field, message) => {
    const result = parseCatalogText(`${yaml}\n`, { checkFiles: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'error', field, message: expect.stringMatching(message) })]));
  });

  it('takes valid lists', () => {
    const yaml =
      'router:\n  adminKeys: [admin-key-0123456789]\n  allowedOrigins: ["http://localhost:5173"]\n  allowedHosts: [gpu-box.lan, 192.168.1.20, "[fe80::1]"]\n  corsOrigins: ["*", "https://chat.example"]\n';
    const result = parseCatalogText(yaml, { checkFiles: false });
    expect(result.ok && result.catalog.router).toMatchObject({
      adminKeys: ['admin-key-0123456789'],
      allowedHosts: ['gpu-box.lan', '192.168.1.20', '[fe80::1]'],
      corsOrigins: ['*', 'https://chat.example'],
    });
  });
});
