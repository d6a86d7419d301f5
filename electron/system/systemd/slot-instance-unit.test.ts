import { describe, expect, it } from 'vitest';
import { gpuSetKey, slotIdOf, type GpuSet } from '../../../shared/gpu-sets.js';
import { isTemplateUnit, SLOT_INSTANCE_PATTERN, slotInstanceUnit, slotOfInstanceUnit, templateOfUnit } from './slot-instance-unit.js';
import { isValidUnitName } from './systemctl.js';

describe('SLOT_INSTANCE_PATTERN', () => {
  // Kept in sync with gpuSetKey: every slot id it writes is an accepted instance, and a valid unit name.
  it.each<GpuSet>([{ all: true }, { all: false, gpus: [0] }, { all: false, gpus: [7] }, { all: false, gpus: [1, 2] }, { all: false, gpus: [0, 1, 2, 3, 4, 5, 6, 7] }, { all: false, gpus: [10, 255] }])(
    'accepts the slot id of %j',
    (set) => {
      const slotId = gpuSetKey(set);
      expect(slotId).toMatch(SLOT_INSTANCE_PATTERN);
      expect(isValidUnitName(slotInstanceUnit('sglang@.service', slotId))).toBe(true);
    },
  );

  // A warm model's own slot: the GPU set's id and the model id (slotIdOf), for every id the catalog allows.
  it.each(['mistral-large-2411-awq', 'Qwen2.5-7B', 'a', 'org:model_v1.2', 'x+y', 'm'.repeat(128)])('accepts the warm slot of model %j', (id) => {
    const slotId = slotIdOf({ id, gpus: [1, 2], switchMode: 'warm' });
    expect(slotId).toMatch(SLOT_INSTANCE_PATTERN);
    expect(isValidUnitName(slotInstanceUnit('sglang@.service', slotId))).toBe(true);
    expect(slotIdOf({ id, gpus: [1, 2], switchMode: 'cold' })).toBe('gpu1-2');
  });

  it('leaves out the empty GPU set, which the catalog check refuses', () => {
    expect(gpuSetKey({ all: false, gpus: [] })).not.toMatch(SLOT_INSTANCE_PATTERN);
  });

  it.each([
    '',
    'gpu',
    'gpu0-',
    'gpu-0',
    'GPU0',
    'gpu0,1',
    'all-1',
    'gpu0 ',
    '../gpu0',
    'gpu0;rm',
    'gpu0\n',
    'gpu0.',
    'gpu0..x',
    'gpu0.x..y',
    'gpu0.-x',
    'gpu0.x/y',
    'gpu0.x y',
    `gpu0.${'m'.repeat(129)}`,
  ])('refuses %j', (instance) => {
    expect(instance).not.toMatch(SLOT_INSTANCE_PATTERN);
  });
});

describe('template units', () => {
  it.each<[string, string, string | undefined]>([
    ['sglang@.service', 'sglang@gpu0.service', 'gpu0'],
    ['sglang@.service', 'sglang@gpu1-2.service', 'gpu1-2'],
    ['sglang@.service', 'sglang@all.service', 'all'],
    ['sglang@.service', 'sglang@.service', undefined],
    ['sglang@.service', 'other@gpu0.service', undefined],
    ['sglang@.service', 'sglang-x@gpu0.service', undefined],
    ['sglang@.service', 'sglang@../x.service', undefined],
    ['sglang@.service', 'sglang@gpu0@gpu1.service', undefined],
    ['sglang.service', 'sglang@gpu0.service', undefined],
  ])('%s: the slot of %s is %s', (template, unit, slotId) => {
    expect(slotOfInstanceUnit(template, unit)).toBe(slotId);
  });

  it('names instances and finds their template', () => {
    expect(slotInstanceUnit('sglang-test@.service', 'gpu0-1')).toBe('sglang-test@gpu0-1.service');
    expect(() => slotInstanceUnit('sglang.service', 'gpu0')).toThrow(/not a template/);
    expect(templateOfUnit('sglang@gpu0.service')).toBe('sglang@.service');
    expect(templateOfUnit('sglang.service')).toBeUndefined();
    expect([isTemplateUnit('sglang@.service'), isTemplateUnit('sglang@gpu0.service'), isTemplateUnit('sglang.service')]).toEqual([true, false, false]);
  });
});
