import { describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput, type ModelEntryInput } from './catalog-schema.js';
import { assignSlotPorts, formatGpuSet, gpuSetKey, gpuSetOf, listSlots, overlaps, sharedGpus, slotPortRange, type GpuSet } from './gpu-sets.js';

const ALL: GpuSet = { all: true };
const set = (...gpus: number[]): GpuSet => ({ all: false, gpus });

function catalog(models: ModelEntryInput[], rest: Partial<CatalogInput> = {}) {
  return catalogSchema.parse({ ...rest, models });
}

describe('gpuSetOf and gpuSetKey', () => {
  it.each<[string, number[] | undefined, GpuSet, string]>([
    ['no gpus: all of them', undefined, ALL, 'all'],
    ['one GPU', [3], set(3), 'gpu3'],
    ['sorted', [3, 1, 2], set(1, 2, 3), 'gpu1-2-3'],
    ['duplicates dropped', [2, 2, 0], set(0, 2), 'gpu0-2'],
    ['numeric order, not text order', [10, 9], set(9, 10), 'gpu9-10'],
    ['empty list', [], set(), 'none'],
  ])('%s', (_, gpus, expected, key) => {
    expect(gpuSetOf({ gpus })).toEqual(expected);
    expect(gpuSetKey(gpuSetOf({ gpus }))).toBe(key);
  });

  it('gives keys that systemd accepts as instance names and URLs keep as they are', () => {
    for (const key of ['all', 'gpu0-1-2', 'gpu10-11']) {
      expect(key).toMatch(/^[A-Za-z0-9:_.-]+$/);
      expect(encodeURIComponent(key)).toBe(key);
    }
  });
});

describe('overlaps, sharedGpus, formatGpuSet', () => {
  it.each<[string, GpuSet, GpuSet, boolean, GpuSet, string]>([
    ['disjoint', set(0, 1), set(2, 3), false, set(), 'no GPUs'],
    ['one shared GPU', set(0, 1), set(1, 2), true, set(1), 'GPU 1'],
    ['same set', set(2, 3), set(2, 3), true, set(2, 3), 'GPUs 2,3'],
    ['all and a set', ALL, set(4, 5), true, set(4, 5), 'GPUs 4,5'],
    ['a set and all', set(4), ALL, true, set(4), 'GPU 4'],
    ['all and all', ALL, ALL, true, ALL, 'all GPUs'],
    ['all and an empty set', ALL, set(), false, set(), 'no GPUs'],
  ])('%s', (_, a, b, overlap, shared, text) => {
    expect(overlaps(a, b)).toBe(overlap);
    expect(overlaps(b, a)).toBe(overlap);
    expect(sharedGpus(a, b)).toEqual(shared);
    expect(formatGpuSet(sharedGpus(a, b))).toBe(text);
  });
});

describe('listSlots', () => {
  it('groups models by GPU set in order of first appearance and leaves upstream models out', () => {
    const slots = listSlots(
      catalog([
        { id: 'a', modelPath: '/m', gpus: [2, 3] },
        { id: 'b', modelPath: '/m' },
        { id: 'c', script: '/s.sh', gpus: [3, 2] },
        { id: 'u', upstream: 'http://10.0.0.7:30000' },
      ]),
    );
    expect(slots).toEqual([
      { slotId: 'gpu2-3', gpus: set(2, 3), modelIds: ['a', 'c'] },
      { slotId: 'all', gpus: ALL, modelIds: ['b'] },
    ]);
  });
});

describe('assignSlotPorts', () => {
  const ports = (c: ReturnType<typeof catalog>) => Object.fromEntries(assignSlotPorts(c));

  it.each<[string, ModelEntryInput[], Partial<CatalogInput>, Record<string, number>]>([
    ['no slots', [{ id: 'u', upstream: 'http://h:1' }], {}, {}],
    [
      'one slot keeps backend.port',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [0] },
      ],
      {},
      { gpu0: 8001 },
    ],
    [
      'a catalog without gpus keeps backend.port',
      [
        { id: 'a', modelPath: '/m' },
        { id: 'b', modelPath: '/m' },
      ],
      {},
      { all: 8001 },
    ],
    [
      'further slots take the range in catalog order, skipping router.port (8002 by default)',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [1] },
        { id: 'c', modelPath: '/m', gpus: [2] },
      ],
      {},
      { gpu0: 8001, gpu1: 8003, gpu2: 8004 },
    ],
    [
      'the all slot prefers backend.port even when it comes later',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m' },
      ],
      {},
      { gpu0: 8003, all: 8001 },
    ],
    [
      'explicit ports first',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [1], port: 8001 },
      ],
      {},
      { gpu0: 8003, gpu1: 8001 },
    ],
    [
      'one explicit port serves the whole slot',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [0], port: 9000 },
      ],
      {},
      { gpu0: 9000 },
    ],
    [
      'router.port outside the range leaves it whole',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [1] },
      ],
      { router: { port: 9000 } },
      { gpu0: 8001, gpu1: 8002 },
    ],
    [
      'an explicit range',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [1] },
      ],
      { backend: { portRange: [30000, 30001] } },
      { gpu0: 30000, gpu1: 30001 },
    ],
    [
      'backend.port inside an explicit range',
      [
        { id: 'a', modelPath: '/m', gpus: [0] },
        { id: 'b', modelPath: '/m', gpus: [1] },
      ],
      { backend: { port: 30001, portRange: [30000, 30001] } },
      { gpu0: 30001, gpu1: 30000 },
    ],
  ])('%s', (_, models, rest, expected) => {
    expect(ports(catalog(models, rest))).toEqual(expected);
  });

  it('defaults to 32 ports from backend.port, capped at 65535', () => {
    expect(slotPortRange({ port: 8001 })).toEqual([8001, 8032]);
    expect(slotPortRange({ port: 65530 })).toEqual([65530, 65535]);
    expect(slotPortRange({ port: 8001, portRange: [9000, 9003] })).toEqual([9000, 9003]);
  });

  it.each<[string, ModelEntryInput[], Partial<CatalogInput>, string]>([
    [
      'the range runs out',
      [0, 1, 2].map((g) => ({ id: `m${g}`, modelPath: '/m', gpus: [g] })),
      { backend: { portRange: [9000, 9001] } },
      'no free port left for slot gpu2 in 9000–9001: 3 GPU sets need a port each (gpu0, gpu1, gpu2)',
    ],
    [
      'router.port takes a port of the range',
      [0, 1].map((g) => ({ id: `m${g}`, modelPath: '/m', gpus: [g] })),
      { backend: { portRange: [9000, 9001] }, router: { port: 9001 } },
      'no free port left for slot gpu1 in 9000–9001, router.port 9001 excluded: 2 GPU sets need a port each (gpu0, gpu1)',
    ],
    ['a reversed range', [{ id: 'a', modelPath: '/m' }], { backend: { portRange: [9001, 9000] } }, 'backend.portRange [9001, 9000] is reversed; write [9000, 9001]'],
    [
      'one port for two slots',
      [
        { id: 'a', modelPath: '/m', gpus: [0], port: 9000 },
        { id: 'b', modelPath: '/m', gpus: [1], port: 9000 },
      ],
      {},
      'port 9000 is given to two slots (gpu0 and gpu1)',
    ],
    [
      'two ports for one slot',
      [
        { id: 'a', modelPath: '/m', gpus: [0], port: 9000 },
        { id: 'b', modelPath: '/m', gpus: [0], port: 9001 },
      ],
      {},
      'the models of slot gpu0 ask for different ports (9000 and 9001); one slot has one port',
    ],
  ])('throws when %s', (_, models, rest, message) => {
    expect(() => assignSlotPorts(catalog(models, rest))).toThrow(message);
  });
});
