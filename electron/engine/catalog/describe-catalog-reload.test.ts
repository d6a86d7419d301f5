import { describe, expect, it } from 'vitest';
import { catalogSchema, type Catalog, type CatalogInput } from '../../../shared/catalog-schema.js';
import type { ModelActivity } from './catalog-editor.js';
import { describeCatalogReload, summarizeChange } from './describe-catalog-reload.js';

const PATH = '/etc/switchboard/switchboard.yaml';
const catalog = (input: CatalogInput): Catalog => catalogSchema.parse(input);
const model = (id: string, more: Record<string, unknown> = {}) => ({ id, modelPath: `/models/${id}`, ...more });
const base = catalog({ models: [model('alpha'), model('beta')] });
const none = new Map<string, ModelActivity>();

describe('summarizeChange', () => {
  it.each<[string, Catalog, ReadonlyMap<string, ModelActivity>, string[], string]>([
    ['a comment edited', base, none, [], 'no change to models or settings'],
    ['a model added, one changed, one removed', catalog({ models: [model('alpha', { tp: 2 }), model('gamma')] }), none, [], 'models added gamma; changed alpha; removed beta'],
    [
      'a setting that needs a restart',
      catalog({ router: { port: 9000 }, models: [model('alpha'), model('beta')] }),
      none,
      ['router.port'],
      'settings changed: router; restart the engine to apply: router.port',
    ],
    [
      "a loaded model's launch settings",
      catalog({ models: [model('alpha', { contextLength: 8192, label: 'Alpha' }), model('beta')] }),
      new Map([['alpha', 'loaded']]),
      [],
      'changed alpha; alpha is loaded and keeps running as it was launched: its new contextLength apply when it unloads',
    ],
    ["a loaded model's label only (applies at once)", catalog({ models: [model('alpha', { label: 'Alpha' }), model('beta')] }), new Map([['alpha', 'loaded']]), [], 'changed alpha'],
    [
      'sglang settings while a model loads; a queued one is not launched yet',
      catalog({ sglang: { env: { X: '1' } }, models: [model('alpha'), model('beta')] }),
      new Map<string, ModelActivity>([
        ['beta', 'loading'],
        ['alpha', 'queued'],
      ]),
      [],
      'settings changed: sglang; beta is loading and keeps running as it was launched: its new sglang apply when it unloads',
    ],
    [
      'a loaded model removed',
      catalog({ models: [model('alpha')] }),
      new Map([['beta', 'loaded']]),
      [],
      'removed beta; beta is loaded and no longer in the catalog: it keeps running as it was launched',
    ],
  ])('%s', (_name, after, activity, restart, expected) => {
    expect(summarizeChange(base, after, restart, activity)).toBe(expected);
  });
});

describe('describeCatalogReload', () => {
  it('applied: a log line naming the file and the trigger; the notice cleared', () => {
    const after = catalog({ models: [model('alpha'), model('beta'), model('gamma')] });
    const event = { kind: 'applied' as const, revision: 'r', before: base, after, warnings: [], restartRequired: [] };
    expect(describeCatalogReload({ ...event, trigger: 'file' }, PATH, none)).toEqual({ log: `catalog reloaded from ${PATH}: models added gamma`, notice: null });
    expect(describeCatalogReload({ ...event, trigger: 'signal' }, PATH, none).log).toBe(`catalog reloaded from ${PATH} on SIGHUP: models added gamma`);
  });

  it('rejected: every error in the log, the first one (with its line) in the notice', () => {
    const issues = [
      { severity: 'error' as const, field: 'models[0].tp', line: 4, column: 9, message: 'must be ≥ 1, got 0' },
      { severity: 'warning' as const, field: 'models[1]', message: 'a warning' },
      { severity: 'error' as const, field: 'models[1].gpus', line: 9, column: 11, message: 'GPU 7 does not exist' },
    ];
    expect(describeCatalogReload({ kind: 'rejected', trigger: 'file', issues }, PATH, none)).toEqual({
      log: `catalog ${PATH} was not reloaded (the running catalog is unchanged):\n${PATH}:4:9 models[0].tp: must be ≥ 1, got 0\n${PATH}:9:11 models[1].gpus: GPU 7 does not exist`,
      notice: { level: 'error', message: 'switchboard.yaml was not reloaded: models[0].tp: must be ≥ 1, got 0 (line 4) and 1 more — the running catalog is unchanged' },
    });
  });

  it('unchanged: silent from the file (the UI saved it), a line on SIGHUP; either clears the notice', () => {
    expect(describeCatalogReload({ kind: 'unchanged', trigger: 'file' }, PATH, none)).toEqual({ notice: null });
    expect(describeCatalogReload({ kind: 'unchanged', trigger: 'signal' }, PATH, none)).toEqual({ log: `catalog ${PATH} reread on SIGHUP: unchanged`, notice: null });
  });

  it('missing and not-watching: a warning notice; closed: nothing', () => {
    expect(describeCatalogReload({ kind: 'missing', trigger: 'file' }, PATH, none).notice).toEqual({ level: 'warning', message: 'switchboard.yaml is missing — the running catalog is unchanged' });
    expect(describeCatalogReload({ kind: 'not-watching', message: 'cannot watch /etc/switchboard for changes to switchboard.yaml: ENOSPC' }, PATH, none).notice?.level).toBe('warning');
    expect(describeCatalogReload({ kind: 'closed' }, PATH, none)).toEqual({});
  });
});
