import { describe, expect, it } from 'vitest';
import type { ModelEntryInput } from '../../../shared/catalog-schema.js';
import { parseCatalogText } from './load-catalog.js';
import { mergeImported } from './merge-imported.js';

const CATALOG = `# Switchboard catalog, edited by hand
router: { host: 127.0.0.1, port: 8002 } # the router clients use
models:
  # the big one
  - id: mistral-large-2411-awq
    aliases: [mistral]
    modelPath: /models/Mistral-Large-Instruct-2411-AWQ # AWQ
`;

const QWEN: ModelEntryInput = { id: 'qwen-coder', modelPath: '/models/Qwen3-Coder', tp: 2, gpus: [4, 5], env: { HF_HUB_OFFLINE: '1' } };

describe('mergeImported', () => {
  it('appends entries and keeps every comment', () => {
    const { text, added, skipped } = mergeImported(CATALOG, [QWEN]);
    expect(added).toEqual(['qwen-coder']);
    expect(skipped).toEqual([]);
    expect(text.startsWith(CATALOG)).toBe(true);
    expect(text.slice(CATALOG.length)).toBe('  - id: qwen-coder\n    modelPath: /models/Qwen3-Coder\n    tp: 2\n    gpus: [4, 5]\n    env:\n      HF_HUB_OFFLINE: "1"\n');
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok && result.catalog.models.map((m) => m.id)).toEqual(['mistral-large-2411-awq', 'qwen-coder']);
  });

  it('follows the padding of the existing flow lists', () => {
    const { text } = mergeImported('models:\n  - id: a\n    modelPath: /a\n    gpus: [ 0 ]\n', [QWEN]);
    expect(text).toContain('gpus: [ 0 ]\n');
    expect(text).toContain('gpus: [ 4, 5 ]\n');
    // Old lines keep their own look even when the file mixes styles.
    const mixed = 'router: { port: 8002 }\nsglang: { command: [python3, -m, sglang.launch_server] }\nmodels: [] # none yet\n';
    expect(mergeImported(mixed, [QWEN]).text).toBe(
      'router: { port: 8002 }\nsglang: { command: [python3, -m, sglang.launch_server] }\nmodels: # none yet\n' +
        '  - id: qwen-coder\n    modelPath: /models/Qwen3-Coder\n    tp: 2\n    gpus: [4, 5]\n    env:\n      HF_HUB_OFFLINE: "1"\n',
    );
  });

  it('appends to a list indented differently and to a file without a final newline', () => {
    const { text } = mergeImported('models:\n- id: a\n  modelPath: /a', [{ id: 'b', modelPath: '/b' }]);
    expect(text).toBe('models:\n- id: a\n  modelPath: /a\n- id: b\n  modelPath: /b\n');
  });

  it('falls back to re-rendering a non-empty flow list, keeping its entries', () => {
    const { text } = mergeImported('models: [{ id: a, modelPath: /a }]\n', [{ id: 'b', modelPath: '/b' }]);
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok && result.catalog.models.map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('skips ids and aliases already present, and repeats within the batch', () => {
    const { text, added, skipped } = mergeImported(CATALOG, [{ id: 'mistral-large-2411-awq', modelPath: '/x' }, { id: 'mistral', modelPath: '/x' }, QWEN, { ...QWEN, modelPath: '/other' }]);
    expect(added).toEqual(['qwen-coder']);
    expect(skipped).toEqual([
      { id: 'mistral-large-2411-awq', reason: '"mistral-large-2411-awq" is already used in the catalog' },
      { id: 'mistral', reason: '"mistral" is already used in the catalog' },
      { id: 'qwen-coder', reason: '"qwen-coder" is already used in the catalog' },
    ]);
    expect(text).not.toContain('/other');
  });

  it.each([
    ['an empty file', ''],
    ['a file without models', 'router: { port: 9000 }\n'],
    ['an empty models key', 'models:\n'],
    ['an empty flow list', 'models: []\n'],
  ])('starts the models list in %s', (_, catalogText) => {
    const { text } = mergeImported(catalogText, [QWEN]);
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok && result.catalog.models).toEqual([expect.objectContaining({ id: 'qwen-coder', gpus: [4, 5] })]);
    expect(text).toContain('models:\n  - id: qwen-coder\n');
  });

  it('refuses to guess with broken YAML or a models key that is not a list', () => {
    expect(() => mergeImported('models: [\n', [QWEN])).toThrow(/YAML errors/);
    expect(() => mergeImported('models: {a: 1}\n', [QWEN])).toThrow('"models" is not a list');
    expect(() => mergeImported('- a\n', [QWEN])).toThrow('not a YAML mapping');
  });
});
