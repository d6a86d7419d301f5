import { describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../shared/catalog-schema.js';
import { parseCatalogText } from './load-catalog.js';

function parse(yaml: string) {
  return parseCatalogText(yaml, { checkFiles: false });
}

describe('catalog gpu settings and powerLimitW', () => {
  it("fills the gpu section's defaults", () => {
    expect(catalogSchema.parse({}).gpu).toEqual({ sampleIntervalMs: 1000, historyS: 3600, presetsW: [250, 300, 350] });
  });

  it('reads a gpu section and both shapes of powerLimitW', () => {
    const result = parse(
      [
        'gpu: { nvidiaSmiPath: /usr/bin/nvidia-smi, sampleIntervalMs: 500, presetsW: [280, 320] }',
        'models:',
        '  - { id: a, modelPath: /m/a, tp: 2, gpus: [0, 1], powerLimitW: 300 }',
        '  - { id: b, modelPath: /m/b, tp: 2, gpus: [2, 3], powerLimitW: { 2: 280, 3: 300 } }',
      ].join('\n'),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.catalog.gpu).toEqual({ nvidiaSmiPath: '/usr/bin/nvidia-smi', sampleIntervalMs: 500, historyS: 3600, presetsW: [280, 320] });
    expect(result.catalog.models.map((m) => m.powerLimitW)).toEqual([300, { '2': 280, '3': 300 }]);
    expect(result.issues).toEqual([]);
  });

  it.each([
    ['a word', 'powerLimitW: lots', 'models[0].powerLimitW: must be watts for all the model\'s GPUs (300) or watts per GPU index ({ 0: 300, 1: 280 }); got "lots"'],
    ['a negative limit', 'powerLimitW: -5', 'models[0].powerLimitW'],
    ['a fraction of a watt (nvidia-smi -pl takes whole watts)', 'powerLimitW: 300.5', 'models[0].powerLimitW'],
    ['a GPU name instead of an index', 'powerLimitW: { first: 300 }', 'models[0].powerLimitW'],
  ])('refuses %s with the field named', (_name, field, expected) => {
    const result = parse(`models:\n  - id: a\n    modelPath: /m/a\n    ${field}\n`);
    expect(result.ok).toBe(false);
    const text = result.issues.map((i) => `${i.field}: ${i.message}`).join('\n');
    expect(text).toContain(expected);
    expect(result.issues[0]?.line).toBe(4);
  });

  it('warns about a per-GPU limit for a GPU the model does not use, and about powerLimitW on an upstream model', () => {
    const result = parse(
      ['models:', '  - { id: a, modelPath: /m/a, tp: 2, gpus: [0, 1], powerLimitW: { 0: 300, 5: 300 } }', '  - { id: u, upstream: "http://10.0.0.7:30000", powerLimitW: 300 }'].join('\n'),
    );
    expect(result.issues.map((i) => [i.severity, i.field, i.message])).toEqual([
      ['warning', 'models[0].powerLimitW[5]', "GPU 5 is not one of this model's GPUs (0, 1)"],
      ['warning', 'models[1].powerLimitW', 'is ignored for upstream models (served elsewhere, never launched)'],
    ]);
  });

  it('suggests the right key for a typo in the gpu section', () => {
    const result = parse('gpu: { sampleIntervalMS: 500 }\n');
    expect(result.issues[0]?.message).toBe('unknown field "sampleIntervalMS" (did you mean "sampleIntervalMs"?)');
  });
});
