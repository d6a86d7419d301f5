import { describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import { parseCatalogText } from './load-catalog.js';
import { validateCatalog } from './validate-catalog.js';

type Expected = { severity: 'error' | 'warning'; field: string; message: string };

function check(models: ModelEntryInput[], rest: Partial<CatalogInput> = {}): Expected[] {
  return validateCatalog(catalogSchema.parse({ ...rest, models }), { checkFiles: false }).map(({ severity, field, message }) => ({ severity, field, message }));
}

const m = (id: string, gpus?: number[], extra: Partial<ModelEntryInput> = {}): ModelEntryInput => ({
  id,
  modelPath: `/models/${id}`,
  ...(gpus ? { gpus, tp: gpus.length || 1 } : {}),
  ...extra,
});
const error = (field: string, message: string): Expected => ({ severity: 'error', field, message });
const warning = (field: string, message: string): Expected => ({ severity: 'warning', field, message });

describe('catalog rules for models side by side', () => {
  it('reads the new fields with their defaults', () => {
    const catalog = catalogSchema.parse({ models: [m('a')] });
    expect(catalog).toMatchObject({ preload: [], idleUnloadS: 0 });
    expect(catalog.defaultModel).toBeUndefined();
    expect(catalog.backend.portRange).toBeUndefined();
    expect(catalog.models[0]).toMatchObject({ pinned: false });
    expect(catalog.models[0]?.idleUnloadS).toBeUndefined();
    expect(catalog.models[0]?.port).toBeUndefined();
  });

  it.each<[string, ModelEntryInput[], Partial<CatalogInput>, Expected[]]>([
    [
      'a multi-slot catalog that fits',
      [m('chat', [0, 1], { aliases: ['c'] }), m('coder', [2, 3], { pinned: true, port: 8010 }), m('embed', [4], { idleUnloadS: 0 })],
      { preload: ['c', 'coder', 'embed'], defaultModel: 'chat', idleUnloadS: 600, backend: { portRange: [8001, 8020] } },
      [],
    ],

    // preload and defaultModel name models
    ['preload: unknown id with a near miss', [m('chat'), m('coder')], { preload: ['codr'] }, [error('preload[0]', 'unknown model "codr" (did you mean "coder"?)')]],
    ['preload: an alias counts', [m('chat', [0], { aliases: ['qwen'] })], { preload: ['qwen'] }, []],
    ['preload: unknown id, nothing near', [m('chat'), m('coder')], { preload: ['mistral'] }, [error('preload[0]', 'unknown model "mistral"; known: chat, coder')]],
    ['defaultModel: unknown id', [m('chat', [0], { aliases: ['qwen'] })], { defaultModel: 'qwne' }, [error('defaultModel', 'unknown model "qwne" (did you mean "qwen"?)')]],
    ['defaultModel: no models at all', [], { defaultModel: 'chat' }, [error('defaultModel', 'unknown model "chat"; the catalog has no models')]],
    ['preload: the same model twice', [m('chat', [0], { aliases: ['c'] })], { preload: ['chat', 'c'] }, [warning('preload[1]', '"chat" is already listed as preload[0]')]],
    [
      'preload: an upstream model',
      [{ id: 'u', upstream: 'http://10.0.0.7:30000' }],
      { preload: ['u'] },
      [warning('preload[0]', '"u" is served elsewhere (upstream) and always on; preloading does nothing')],
    ],

    // preloaded models run side by side
    [
      'preload: overlapping GPU sets',
      [m('chat', [0, 1]), m('coder', [1, 2])],
      { preload: ['chat', 'coder'] },
      [error('preload[1]', '"coder" and "chat" (preload[0]) both need GPU 1; preloaded models run side by side and need disjoint gpus')],
    ],
    [
      'preload: one model on all GPUs',
      [m('big'), m('embed', [4])],
      { preload: ['embed', 'big'] },
      [error('preload[1]', '"big" and "embed" (preload[0]) both need GPU 4; preloaded models run side by side and need disjoint gpus')],
    ],
    [
      'preload: two models of one slot',
      [m('chat', [0, 1]), m('chat2', [1, 0])],
      { preload: ['chat', 'chat2'] },
      [error('preload[1]', '"chat2" and "chat" (preload[0]) both need GPUs 0,1; preloaded models run side by side and need disjoint gpus')],
    ],

    // pinned vs defaultModel
    [
      'pinned overlapping the default',
      [m('chat', [0, 1]), m('coder', [1, 2], { pinned: true })],
      { defaultModel: 'chat' },
      [
        error(
          'models[1].pinned',
          '"coder" is pinned on GPUs 1,2, which defaultModel "chat" also needs (GPU 1); once it runs, the default could never come back; unpin it or give the two disjoint gpus',
        ),
      ],
    ],
    ['pinned default itself is fine', [m('chat', [0, 1], { pinned: true })], { defaultModel: 'chat' }, []],
    ['pinned beside the default is fine', [m('chat', [0, 1]), m('coder', [2, 3], { pinned: true })], { defaultModel: 'chat' }, []],
    [
      'pinned on all GPUs against a default',
      [m('chat', [0, 1]), m('big', undefined, { pinned: true })],
      { defaultModel: 'chat' },
      [
        error(
          'models[1].pinned',
          '"big" is pinned on all GPUs, which defaultModel "chat" also needs (GPUs 0,1); once it runs, the default could never come back; unpin it or give the two disjoint gpus',
        ),
      ],
    ],

    // tp and gpus (the existing check, now on the set of GPUs)
    ['tp larger than the GPU set', [m('a', [0, 1], { tp: 4 })], {}, [error('models[0].tp', 'must be ≤ number of GPUs (2)')]],
    ['a duplicate GPU does not count twice for tp', [m('a', [0, 0], { tp: 2 })], {}, [error('models[0].gpus[1]', 'GPU 0 is listed twice'), error('models[0].tp', 'must be ≤ number of GPUs (1)')]],

    // slot ports
    ['model port outside portRange', [m('a', [0], { port: 9000 })], { backend: { portRange: [8001, 8010] } }, [error('models[0].port', '9000 is outside backend.portRange (8001–8010)')]],
    [
      'model port outside the default range',
      [m('a', [0], { port: 9000 })],
      {},
      [error('models[0].port', '9000 is outside the slot ports 8001–8032 (backend.port and the 31 after it); set backend.portRange to use others')],
    ],
    ['model port equal to router.port', [m('a', [0], { port: 8002 })], {}, [error('models[0].port', 'same port as router.port (8002) on an overlapping host; pick another port')]],
    ['model port equal to router.port on another address is fine', [m('a', [0], { port: 8002 })], { router: { host: '192.168.1.5' } }, []],
    [
      'one explicit port for two GPU sets',
      [m('a', [0], { port: 8005 }), m('b', [1], { port: 8005 })],
      {},
      [error('models[1].port', '8005 is also the port of "a" (models[0]) on GPU 0; models on different GPU sets run side by side and need their own ports')],
    ],
    ['one explicit port for one slot is fine', [m('a', [0], { port: 8005 }), m('b', [0], { port: 8005 }), m('c', [0])], {}, []],
    [
      'two explicit ports for one slot',
      [m('a', [0], { port: 8005 }), m('b', [0], { port: 8006 })],
      {},
      [error('models[1].port', '"b" shares GPU 0 (one server, one port) with "a" (models[0]), whose port is 8005; give both the same port or drop one')],
    ],
    [
      'port on an upstream model',
      [{ id: 'u', upstream: 'http://h:1', port: 8005, pinned: true, idleUnloadS: 60 }],
      {},
      [
        warning('models[0].port', 'is ignored for upstream models (served elsewhere, never launched)'),
        warning('models[0].pinned', 'is ignored for upstream models (served elsewhere, never launched)'),
        warning('models[0].idleUnloadS', 'is ignored for upstream models (served elsewhere, never launched)'),
      ],
    ],

    // portRange
    ['portRange reversed', [m('a')], { backend: { portRange: [8010, 8001] } }, [error('backend.portRange', 'is reversed (8010 > 8001); write [8001, 8010]')]],
    [
      'portRange too small for the GPU sets',
      [m('a', [0]), m('b', [1]), m('c', [2]), m('d', [2])],
      { backend: { portRange: [9000, 9001] } },
      [error('backend.portRange', 'is too small: no free port left for slot gpu2 in 9000–9001: 3 GPU sets need a port each (gpu0, gpu1, gpu2)')],
    ],
    [
      'router.port inside portRange is not counted',
      [m('a', [0]), m('b', [1])],
      { backend: { portRange: [8001, 8002] } },
      [error('backend.portRange', 'is too small: no free port left for slot gpu1 in 8001–8002, router.port 8002 excluded: 2 GPU sets need a port each (gpu0, gpu1)')],
    ],
    ['upstream models need no port', [m('a', [0]), { id: 'u', upstream: 'http://h:1' }], { backend: { portRange: [9000, 9000] } }, []],
    [
      'the default range is too small too',
      Array.from({ length: 32 }, (_, g) => m(`m${g}`, [g])),
      {},
      [
        error(
          'backend.portRange',
          'the default slot ports are too few: no free port left for slot gpu31 in 8001–8032, router.port 8002 excluded: 32 GPU sets need a port each (gpu0, gpu1, gpu2, gpu3, gpu4, gpu5, gpu6, gpu7, gpu8, gpu9, gpu10, gpu11, gpu12, gpu13, gpu14, gpu15, gpu16, gpu17, gpu18, gpu19, gpu20, gpu21, gpu22, gpu23, gpu24, gpu25, gpu26, gpu27, gpu28, gpu29, gpu30, gpu31); set backend.portRange',
        ),
      ],
    ],

    // systemd: one instance per slot
    [
      'systemd, several GPU sets, plain unit',
      [m('a', [0, 1]), m('b', [2, 3]), m('c', [0, 1])],
      { backend: { kind: 'systemd', unit: 'sglang.service' } },
      [error('backend.unit', 'sglang.service is not a template unit, but the models use 2 GPU sets (GPUs 0,1; GPUs 2,3), each run as its own instance; use a template unit such as sglang@.service')],
    ],
    [
      'systemd, several GPU sets, an instance unit',
      [m('a', [0]), m('b')],
      { backend: { kind: 'systemd', unit: 'sglang@main.service' } },
      [error('backend.unit', 'sglang@main.service is not a template unit, but the models use 2 GPU sets (GPU 0; all GPUs), each run as its own instance; use a template unit such as sglang@.service')],
    ],
    ['systemd, several GPU sets, a template', [m('a', [0]), m('b', [1])], { backend: { kind: 'systemd', unit: 'sglang@.service' } }, []],
    ['systemd, one GPU set, a plain unit', [m('a', [0, 1]), m('b', [1, 0]), { id: 'u', upstream: 'http://h:1' }], { backend: { kind: 'systemd', unit: 'sglang.service' } }, []],
  ])('%s', (_, models, rest, expected) => {
    expect(check(models, rest)).toEqual(expected);
  });

  it('places the issues on their YAML lines', () => {
    const result = parseCatalogText(
      ['preload: [chat, codr]', 'defaultModel: chat', 'models:', '  - { id: chat, modelPath: /m/chat, gpus: [0] }', '  - { id: coder, modelPath: /m/coder, gpus: [0], pinned: true }', ''].join('\n'),
      { checkFiles: false },
    );
    expect(result.issues.map(({ field, line, message }) => ({ field, line, message }))).toEqual([
      { field: 'preload[1]', line: 1, message: 'unknown model "codr" (did you mean "coder"?)' },
      { field: 'models[1].pinned', line: 5, message: expect.stringMatching(/^"coder" is pinned on GPU 0, which defaultModel "chat" also needs/) },
    ]);
  });

  it.each([
    ['a negative idleUnloadS', 'idleUnloadS: -1\n', 'idleUnloadS'],
    ['a portRange of one port', 'backend: { portRange: [8001] }\n', 'backend.portRange'],
    ['a port out of range', 'models:\n  - { id: a, modelPath: /m, port: 70000 }\n', 'models[0].port'],
    ['pinned: yes', 'models:\n  - { id: a, modelPath: /m, pinned: yes }\n', 'models[0].pinned'],
  ])('refuses %s in the schema', (_, yaml, field) => {
    const result = parseCatalogText(yaml, { checkFiles: false });
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.field)).toContain(field);
  });
});
