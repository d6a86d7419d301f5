import { describe, expect, it } from 'vitest';
import type { CatalogChange } from '../../../shared/switchboard-api.js';
import { draftCatalogChange } from './draft-catalog-change.js';

// Layouts people write, and what a change makes of them: only the edited values move.
describe('draftCatalogChange on unusual layouts', () => {
  it.each<[string, string, CatalogChange, string]>([
    [
      'no final newline: edit the last value',
      'models:\n  - id: a\n    modelPath: /a\n    tp: 1',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: '/a', tp: 2 } },
      'models:\n  - id: a\n    modelPath: /a\n    tp: 2',
    ],
    ['no final newline: remove the last item', 'models:\n  - id: a\n    modelPath: /a\n  - id: b\n    modelPath: /b', { op: 'remove', id: 'b' }, 'models:\n  - id: a\n    modelPath: /a'],
    [
      'no final newline: add a key',
      'models:\n  - id: a\n    modelPath: /a',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: '/a', gpus: [0] } },
      'models:\n  - id: a\n    modelPath: /a\n    gpus: [0]\n',
    ],
    [
      'remove keeps the comment of the next item',
      'models:\n  - id: a   # first\n    modelPath: /a\n  # the second one\n  - id: b\n    modelPath: /b\n',
      { op: 'remove', id: 'a' },
      'models:\n  # the second one\n  - id: b\n    modelPath: /b\n',
    ],
    [
      'a key added after a block map value, before a trailing comment',
      'models:\n  - id: a\n    modelPath: /a\n    env:\n      A: "1"\n# end\n',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: '/a', env: { A: '1' }, tp: 2 } },
      'models:\n  - id: a\n    modelPath: /a\n    env:\n      A: "1"\n    tp: 2\n# end\n',
    ],
    [
      'a block map edited key by key (its comments kept)',
      'models:\n  - id: a\n    env:\n      A: "1"   # keep\n      C: x\n    modelPath: /a\n',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: '/a', env: { A: '1', B: '2' } } },
      'models:\n  - id: a\n    env:\n      A: "1"   # keep\n      B: "2"\n    modelPath: /a\n',
    ],
    [
      'a flow-map item',
      'models:\n  - { id: a, modelPath: /a, tp: 2 }\n',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: '/a', gpus: [0, 1], tp: 2 } },
      'models:\n  - { id: a, modelPath: /a, tp: 2, gpus: [0, 1] }\n',
    ],
    [
      'dropping the first key of an item (the Document fallback)',
      'models:\n  - id: a\n    modelPath: /a\n',
      { op: 'edit', id: 'a', model: { id: 'a', modelPath: undefined, upstream: 'http://10.0.0.7:30000' } },
      'models:\n  - id: a\n    upstream: http://10.0.0.7:30000\n',
    ],
    [
      'a multi-line label becomes a block scalar',
      'models:\n  - id: a\n    label: x\n    modelPath: /a\n',
      { op: 'edit', id: 'a', model: { id: 'a', label: 'two\nlines', modelPath: '/a' } },
      'models:\n  - id: a\n    label: |-\n      two\n      lines\n    modelPath: /a\n',
    ],
    [
      'settings: a block section gets a key (its comment kept), a missing section is appended',
      '# top\nbackend:\n  drainTimeoutS: 300   # five minutes\nmodels: []\n',
      { op: 'settings', settings: { backend: { stopTimeoutS: 5, drainTimeoutS: 60 }, gpu: { presetsW: [300] } } },
      '# top\nbackend:\n  drainTimeoutS: 60   # five minutes\n  stopTimeoutS: 5\nmodels: []\ngpu:\n  presetsW: [300]\n',
    ],
    ['settings: an empty file', '', { op: 'settings', settings: { router: { port: 9000 } } }, 'router:\n  port: 9000\n'],
    ['settings: the default value changes nothing', 'models: []\n', { op: 'settings', settings: { router: { port: 8002 } } }, 'models: []\n'],
    ['a string that needs quotes inside a flow map', 'router: { host: 127.0.0.1 }\n', { op: 'settings', settings: { router: { host: '::1, x' } } }, 'router: { host: "::1, x" }\n'],
  ])('%s', (_name, text, change, expected) => {
    expect(draftCatalogChange(text, change).text).toBe(expected);
  });

  it.each<[string, string, CatalogChange, string]>([
    ['YAML errors', 'models: [\n', { op: 'add', model: { id: 'a', modelPath: '/a' } }, 'bad_request'],
    ['not a mapping', '- a\n', { op: 'settings', settings: { router: { port: 9000 } } }, 'bad_request'],
    ['no models list', 'router: {}\n', { op: 'remove', id: 'a' }, 'unknown_model'],
  ])('refuses a file with %s', (_name, text, change, code) => {
    expect(() => draftCatalogChange(text, change)).toThrow(expect.objectContaining({ code }));
  });
});
