import { describe, expect, it } from 'vitest';
import { catalogSchema, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';
import { validateCatalog } from './validate-catalog.js';

// Two RTX A6000 bridged (NV4), the third on NODE: a real capture.
const A6000X3 = parseTopoMatrix(readNvidiaSmiFixture('topo-m-rtxa6000x3-nv4-node-ansi.txt'));
// The fake host's layout: pairs 1–2 and 3–4, GPU0 on PHB.
const FAKE_3090X6 = parseTopoMatrix(
  [
    '\tGPU0\tGPU1\tGPU2\tGPU3\tGPU4\tGPU5\tCPU Affinity\tNUMA Affinity',
    'GPU0\t X \tPHB\tPHB\tSYS\tSYS\tSYS\t0-23\t0',
    'GPU1\tPHB\t X \tNV4\tSYS\tSYS\tSYS\t0-23\t0',
    'GPU2\tPHB\tNV4\t X \tSYS\tSYS\tSYS\t0-23\t0',
    'GPU3\tSYS\tSYS\tSYS\t X \tNV4\tNODE\t24-47\t1',
    'GPU4\tSYS\tSYS\tSYS\tNV4\t X \tNODE\t24-47\t1',
    'GPU5\tSYS\tSYS\tSYS\tNODE\tNODE\t X \t24-47\t1',
  ].join('\n'),
);

function warnings(models: ModelEntryInput[], topology = FAKE_3090X6) {
  return validateCatalog(catalogSchema.parse({ models }), { checkFiles: false, topology }).filter((i) => i.field.endsWith('.gpus'));
}

describe('NVLink placement warning in catalog validation', () => {
  it('warns (not errors) for tp=2 on [0, 1] when 1–2 are NVLinked, naming the better pair', () => {
    expect(warnings([{ id: 'a', modelPath: '/m', tp: 2, gpus: [0, 1] }])).toEqual([
      {
        severity: 'warning',
        field: 'models[0].gpus',
        message: 'TP group [0, 1] talks over PHB (GPU0–GPU1, no NVLink), but GPUs [1, 2] are NVLink-connected (NV4); list them together in gpus.',
      },
    ]);
  });

  it.each<[string, ModelEntryInput]>([
    ['an NVLinked pair', { id: 'a', modelPath: '/m', tp: 2, gpus: [3, 4] }],
    ['tp 1', { id: 'a', modelPath: '/m', tp: 1, gpus: [0] }],
    ['tp 4 (no NVLink set of four)', { id: 'a', modelPath: '/m', tp: 4, gpus: [0, 1, 2, 5] }],
    ['no gpus listed', { id: 'a', modelPath: '/m', tp: 2 }],
    ['a script model', { id: 'a', script: '/s.sh', gpus: [0, 5] }],
  ])('stays quiet for %s', (_name, model) => {
    expect(warnings([model])).toEqual([]);
  });

  it('judges each data-parallel replica (consecutive runs of tp)', () => {
    const found = warnings([{ id: 'a', modelPath: '/m', tp: 2, gpus: [1, 2, 0, 5] }]);
    expect(found[0]?.message).toMatch(/^TP group \[0, 5\] talks over SYS/);
  });

  it('works on a real capture: the unbridged A6000 paired with a bridged one', () => {
    expect(warnings([{ id: 'a', modelPath: '/m', tp: 2, gpus: [1, 2] }], A6000X3)[0]?.message).toContain('GPUs [0, 1] are NVLink-connected (NV4)');
  });

  it('without a topology no GPU placement is judged', () => {
    const issues = validateCatalog(catalogSchema.parse({ models: [{ id: 'a', modelPath: '/m', tp: 2, gpus: [0, 1] }] }), { checkFiles: false });
    expect(issues).toEqual([]);
  });
});
