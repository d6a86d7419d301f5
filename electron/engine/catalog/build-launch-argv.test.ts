import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import { buildLaunch } from './build-launch-argv.js';
import { parseCatalogText } from './load-catalog.js';

async function fullCatalog(): Promise<Catalog> {
  const text = await readFile(new URL('../../../test/fixtures/catalogs/valid-full.yaml', import.meta.url), 'utf8');
  const result = parseCatalogText(text, { checkFiles: false });
  if (!result.ok) throw new Error('fixture should load');
  return result.catalog;
}

/** models[i] of the reference catalog (it has Mistral, Qwen, the KAT-Dev script, ...). */
function modelAt(catalog: Catalog, i: number): ModelEntry {
  const model = catalog.models[i];
  if (!model) throw new Error(`valid-full.yaml has no models[${i}]`);
  return model;
}

describe('buildLaunch', () => {
  it('builds the full argv of a launch model in the documented order', async () => {
    const catalog = await fullCatalog();
    expect(buildLaunch(modelAt(catalog, 0), catalog)).toEqual({
      modelId: 'mistral-large-2411-awq',
      host: '127.0.0.1',
      port: 8001,
      argv: [
        'python3',
        '-m',
        'sglang.launch_server',
        '--model-path',
        '/models/Mistral-Large-Instruct-2411-AWQ',
        '--host',
        '127.0.0.1',
        '--port',
        '8001',
        '--tp',
        '4',
        '--context-length',
        '24576',
        '--quantization',
        'awq_marlin',
        '--served-model-name',
        'mistral-large-2411-awq',
        '--mem-fraction-static',
        '0.8',
        '--enable-torch-compile',
        '--sleep-on-idle',
        '--log-requests',
      ],
      env: { CUDA_VISIBLE_DEVICES: '1,2,3,4' },
    });
  });

  it('leaves out optional flags that are not set', async () => {
    const catalog = await fullCatalog();
    const { argv, env } = buildLaunch(modelAt(catalog, 1), catalog);
    expect(argv).toEqual([
      'python3',
      '-m',
      'sglang.launch_server',
      '--model-path',
      'Qwen/Qwen2.5-7B-Instruct',
      '--host',
      '127.0.0.1',
      '--port',
      '8001',
      '--tp',
      '1',
      '--served-model-name',
      'qwen2.5-7b-instruct',
    ]);
    expect(env).toEqual({ HF_HUB_OFFLINE: '1', CUDA_VISIBLE_DEVICES: '0' });
  });

  it('a warm model gets the memory-saver flags after the managed ones, before extraArgs', async () => {
    const catalog = await fullCatalog();
    const { argv } = buildLaunch({ ...modelAt(catalog, 0), switchMode: 'warm' }, catalog);
    expect(argv.slice(-5)).toEqual(['--enable-torch-compile', '--enable-memory-saver', '--enable-weights-cpu-backup', '--sleep-on-idle', '--log-requests']);
    expect(buildLaunch({ ...modelAt(catalog, 0), switchMode: 'cold' }, catalog).argv).not.toContain('--enable-memory-saver');
  });

  it('uses the host and port overrides', async () => {
    const catalog = await fullCatalog();
    const launch = buildLaunch(modelAt(catalog, 1), catalog, { host: '::1', port: 18001 });
    expect(launch).toMatchObject({ host: '::1', port: 18001 });
    expect(launch.argv.slice(5, 9)).toEqual(['--host', '::1', '--port', '18001']);
  });

  it('runs a script model as is, with the catalog environment', async () => {
    const catalog = await fullCatalog();
    catalog.sglang.env = { NCCL_P2P_LEVEL: 'NVL', HF_HOME: '/data/hf' };
    const script = { ...modelAt(catalog, 2), env: { HF_HOME: '/fast/hf' }, gpus: [4, 5] };
    expect(buildLaunch(script, catalog)).toMatchObject({
      argv: ['/opt/sglang/start_sglang_katdev.sh'],
      env: { NCCL_P2P_LEVEL: 'NVL', HF_HOME: '/fast/hf', CUDA_VISIBLE_DEVICES: '4,5' },
    });
  });

  it('passes arguments with spaces and shell characters through untouched', async () => {
    const catalog = await fullCatalog();
    const model = { ...modelAt(catalog, 1), modelPath: '/models/my model $(rm -rf)', extraArgs: ['--chat-template', '/t/a b.jinja'] };
    const { argv } = buildLaunch(model, catalog);
    expect(argv[4]).toBe('/models/my model $(rm -rf)');
    expect(argv.slice(-2)).toEqual(['--chat-template', '/t/a b.jinja']);
  });
});
