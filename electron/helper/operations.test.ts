import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogSchema, type Catalog, type CatalogInput } from '../../shared/catalog-schema.js';
import { HelperError, type HelperRequest } from '../../shared/helper-protocol.js';
import type { UnitControl, UnitState } from '../system/systemd/unit-control.js';
import { createHelperOperations, type HelperOperationsDeps } from './operations.js';
import type { PowerLimitControl } from '../system/nvidia-smi/power-limit-control.js';
import { readTrustedCatalog } from './read-trusted-catalog.js';

const UNIT = 'sglang.service';
const SHOWN: UnitState = { activeState: 'active', subState: 'running', mainPid: 42, execMainStatus: 0, execMainCode: '', nRestarts: 0, invocationId: 'abc', result: 'success' };

/** Records calls; which catalog it was built with shows whether the catalog was read fresh. */
class RecordingUnitControl implements UnitControl {
  readonly unit = UNIT;
  constructor(
    private readonly calls: string[],
    private readonly catalog: Catalog,
    private readonly failWith?: Error,
  ) {}
  selectModel = async (id: string) => this.record(`selectModel ${id} (${this.catalog.models.length} models)`);
  start = async () => this.record('start');
  stop = async () => this.record('stop');
  restart = async () => this.record('restart');
  resetFailed = async () => this.record('resetFailed');
  show = async (): Promise<UnitState> => (this.failWith ? Promise.reject(this.failWith) : SHOWN);
  private record(call: string): void {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
  }
}

let dir: string;
let catalogPath: string;
let calls: string[];
const input = (models: string[], unit = UNIT): CatalogInput => ({ backend: { kind: 'systemd', unit }, models: models.map((id) => ({ id, modelPath: `/models/${id}` })) });
const writeCatalog = (value: CatalogInput) => writeFile(catalogPath, stringify(value), { mode: 0o644 });

function operations(overrides: Partial<HelperOperationsDeps> & { failWith?: Error } = {}) {
  const startupCatalog = catalogSchema.parse(input(['a']));
  return createHelperOperations({
    unit: UNIT,
    readCatalog: () => readTrustedCatalog(catalogPath),
    unitControlFor: (catalog) => new RecordingUnitControl(calls, catalog, overrides.failWith),
    startupCatalog,
    powerLimits: null,
    startedAtMs: Date.now() - 5000,
    ...overrides,
  });
}
const request = (r: Record<string, unknown>) => ({ v: 1, id: 1, ...r }) as HelperRequest;
const refusal = (code: string, message: string | RegExp) => expect.objectContaining({ code, message: expect.stringMatching(message) });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'helper-ops-'));
  catalogPath = join(dir, 'switchboard.yaml');
  calls = [];
  await writeCatalog(input(['a', 'b']));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('helper operations', () => {
  it('status reports the unit, its state, the helper version, pid and uptime', async () => {
    expect(await operations()(request({ op: 'status' }))).toEqual({
      helperVersion: expect.any(String),
      protocol: 1,
      pid: process.pid,
      uptimeS: 5,
      unit: UNIT,
      unitState: SHOWN,
      powerControl: false,
    });
  });

  it('status still answers when the unit cannot be shown', async () => {
    const result = await operations({ failWith: new Error('Failed to connect to bus') })(request({ op: 'status' }));
    expect(result).toMatchObject({ unitState: null, unitError: expect.stringContaining('Failed to connect to bus') });
  });

  it('selectModel reads the catalog fresh on every call', async () => {
    const dispatch = operations();
    await expect(dispatch(request({ op: 'selectModel', modelId: 'c' }))).rejects.toEqual(refusal('unknown_model', /no model "c"/));
    await writeCatalog(input(['a', 'b', 'c']));
    await dispatch(request({ op: 'selectModel', modelId: 'c' }));
    expect(calls).toEqual(['selectModel c (3 models)']);
  });

  it('selectModel refuses a catalog that switched units under it', async () => {
    await writeCatalog(input(['a'], 'other.service'));
    await expect(operations()(request({ op: 'selectModel', modelId: 'a' }))).rejects.toEqual(refusal('forbidden_unit', /names unit other.service/));
    expect(calls).toEqual([]);
  });

  it('selectModel refuses an upstream model', async () => {
    await writeCatalog({ backend: { kind: 'systemd' }, models: [{ id: 'far', upstream: 'http://10.0.0.7:30000' }] });
    await expect(operations()(request({ op: 'selectModel', modelId: 'far' }))).rejects.toEqual(refusal('bad_request', /served upstream/));
  });

  it('selectModel refuses a catalog writable by others', async () => {
    await chmod(catalogPath, 0o666);
    await expect(operations()(request({ op: 'selectModel', modelId: 'a' }))).rejects.toEqual(refusal('catalog_error', /writable by group or others/));
    expect(calls).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('selectModel refuses a catalog owned by another user (root only: needs chown)', async () => {
    await chown(catalogPath, 65534, 65534);
    await expect(operations()(request({ op: 'selectModel', modelId: 'a' }))).rejects.toEqual(refusal('catalog_error', /owned by uid 65534; it must belong to root/));
  });

  it('selectModel reports a broken catalog as catalog_error', async () => {
    await writeFile(catalogPath, 'models: [');
    await expect(operations()(request({ op: 'selectModel', modelId: 'a' }))).rejects.toEqual(refusal('catalog_error', /YAML/));
  });

  it.each(['start', 'stop', 'restart', 'resetFailed'] as const)('%s acts on the configured unit, named or not', async (op) => {
    const dispatch = operations();
    expect(await dispatch(request({ op }))).toEqual({ unit: UNIT });
    expect(await dispatch(request({ op, unit: UNIT }))).toEqual({ unit: UNIT });
    expect(calls).toEqual([op, op]);
  });

  it('refuses any other unit', async () => {
    await expect(operations()(request({ op: 'stop', unit: 'sshd.service' }))).rejects.toEqual(refusal('forbidden_unit', /"sshd.service" is not the unit/));
    expect(calls).toEqual([]);
  });

  it('reports systemctl failures as failed, with their message', async () => {
    await expect(operations({ failWith: new Error('Job for sglang.service failed') })(request({ op: 'restart' }))).rejects.toEqual(
      refusal('failed', /restart sglang.service: Job for sglang.service failed/),
    );
  });

  it('runs unit-changing operations one at a time', async () => {
    const order: string[] = [];
    const slow = (name: string, ms: number) => async () => {
      order.push(`${name}>`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`<${name}`);
    };
    const dispatch = operations({
      unitControlFor: () => ({
        unit: UNIT,
        selectModel: slow('select', 30),
        start: slow('start', 1),
        stop: slow('stop', 1),
        restart: slow('restart', 1),
        resetFailed: slow('reset', 1),
        show: async () => SHOWN,
      }),
    });
    await Promise.all([dispatch(request({ op: 'selectModel', modelId: 'a' })), dispatch(request({ op: 'restart' }))]);
    expect(order).toEqual(['select>', '<select', 'restart>', '<restart']);
  });

  describe('with a template unit', () => {
    const TEMPLATE = 'sglang@.service';
    const slotModels: CatalogInput['models'] = [
      { id: 'a', modelPath: '/models/a', gpus: [0] },
      { id: 'b', modelPath: '/models/b', gpus: [1] },
      { id: 'big', modelPath: '/models/big', gpus: [1, 2], tp: 2 },
      { id: 'every', modelPath: '/models/every' },
    ];
    const templateInput: CatalogInput = { backend: { kind: 'systemd', unit: TEMPLATE }, models: slotModels };
    /** The helper for the template; each call records the unit it acted on. */
    function templateOperations() {
      return createHelperOperations({
        unit: TEMPLATE,
        readCatalog: () => readTrustedCatalog(catalogPath),
        unitControlFor: (_catalog, unit) => ({
          unit,
          selectModel: async (id) => void calls.push(`selectModel ${id} ${unit}`),
          start: async () => void calls.push(`start ${unit}`),
          stop: async () => void calls.push(`stop ${unit}`),
          restart: async () => void calls.push(`restart ${unit}`),
          resetFailed: async () => void calls.push(`resetFailed ${unit}`),
          show: async () => ({ ...SHOWN, invocationId: unit }),
        }),
        startupCatalog: catalogSchema.parse(templateInput),
        powerLimits: null,
        startedAtMs: Date.now(),
      });
    }
    beforeEach(() => writeCatalog(templateInput));

    const ops = ['start', 'stop', 'restart', 'resetFailed'] as const;
    const goodInstances = ['sglang@gpu0.service', 'sglang@gpu1-2.service', 'sglang@gpu0-1-2-3.service', 'sglang@gpu10-11.service', 'sglang@all.service'];
    it.each(ops.flatMap((op) => goodInstances.map((unit) => [op, unit] as const)))('%s acts on the slot instance %s', async (op, unit) => {
      expect(await templateOperations()(request({ op, unit }))).toEqual({ unit });
      expect(calls).toEqual([`${op} ${unit}`]);
    });

    const refused: [string, string | undefined, RegExp][] = [
      ['a path in the instance', 'sglang@../x.service', /"sglang@\.\.\/x\.service" is not the unit this helper manages \(an instance of sglang@\.service/],
      ['a shell word in the instance', 'sglang@gpu0;rm.service', /"sglang@gpu0;rm.service" is not the unit/],
      ['a drop-in path', 'sglang@gpu0.service.d/../../x.service', /is not the unit/],
      ["another template's instance", 'other@gpu0.service', /"other@gpu0.service" is not the unit/],
      ['another template', 'other@.service', /"other@.service" is not the unit/],
      ['another unit', 'sshd.service', /"sshd.service" is not the unit/],
      ['the template itself (empty instance)', 'sglang@.service', /"sglang@.service" is not the unit/],
      ['an instance that is no slot id', 'sglang@1.service', /is not the unit/],
      ['a slot id cut short', 'sglang@gpu0-.service', /is not the unit/],
      ['upper case', 'sglang@GPU0.service', /is not the unit/],
      ['the empty GPU set', 'sglang@none.service', /is not the unit/],
      ['a trailing newline', 'sglang@gpu0.service\n', /is not the unit/],
      ['no unit at all', undefined, /manages the instances of the template sglang@.service; name one \(sglang@<slot>.service/],
    ];
    it.each(ops.flatMap((op) => refused.map(([what, unit, message]) => [op, what, unit, message] as const)))('%s refuses %s with forbidden_unit', async (op, _what, unit, message) => {
      await expect(templateOperations()(request({ op, ...(unit === undefined ? {} : { unit }) }))).rejects.toEqual(refusal('forbidden_unit', message));
      expect(calls).toEqual([]);
    });

    it.each(refused.filter(([, unit]) => unit !== undefined))('selectModel and status refuse %s too', async (_what, unit, message) => {
      const dispatch = templateOperations();
      await expect(dispatch(request({ op: 'selectModel', modelId: 'a', unit }))).rejects.toEqual(refusal('forbidden_unit', message));
      await expect(dispatch(request({ op: 'status', unit }))).rejects.toEqual(refusal('forbidden_unit', message));
      expect(calls).toEqual([]);
    });

    it("selectModel writes the instance of the model's own slot, and refuses another slot's instance", async () => {
      const dispatch = templateOperations();
      expect(await dispatch(request({ op: 'selectModel', modelId: 'a', unit: 'sglang@gpu0.service' }))).toEqual({ unit: 'sglang@gpu0.service', modelId: 'a' });
      expect(await dispatch(request({ op: 'selectModel', modelId: 'big', unit: 'sglang@gpu1-2.service' }))).toEqual({ unit: 'sglang@gpu1-2.service', modelId: 'big' });
      expect(await dispatch(request({ op: 'selectModel', modelId: 'every', unit: 'sglang@all.service' }))).toEqual({ unit: 'sglang@all.service', modelId: 'every' });
      await expect(dispatch(request({ op: 'selectModel', modelId: 'b', unit: 'sglang@gpu0.service' }))).rejects.toEqual(
        refusal('bad_request', /model "b" runs in slot gpu1, so only sglang@gpu1.service may run it, not sglang@gpu0.service/),
      );
      await expect(dispatch(request({ op: 'selectModel', modelId: 'a' }))).rejects.toEqual(refusal('forbidden_unit', /name one/));
      expect(calls).toEqual(['selectModel a sglang@gpu0.service', 'selectModel big sglang@gpu1-2.service', 'selectModel every sglang@all.service']);
    });

    it('status shows the named instance and reports the template as its unit; without an instance it still answers', async () => {
      const dispatch = templateOperations();
      expect(await dispatch(request({ op: 'status', unit: 'sglang@gpu1-2.service' }))).toMatchObject({ unit: TEMPLATE, unitState: { invocationId: 'sglang@gpu1-2.service' } });
      expect(await dispatch(request({ op: 'status' }))).toMatchObject({
        unit: TEMPLATE,
        pid: process.pid,
        unitState: null,
        unitError: 'sglang@.service is a template unit; ask for the status of one of its instances (unit: sglang@<slot>.service)',
      });
    });
  });

  it('a plain unit accepts no template instance, not even its own name with one', async () => {
    const dispatch = operations();
    for (const unit of ['sglang@gpu0.service', 'sglang@.service']) {
      await expect(dispatch(request({ op: 'restart', unit }))).rejects.toEqual(refusal('forbidden_unit', /is not the unit this helper manages \(sglang.service\)/));
      await expect(dispatch(request({ op: 'selectModel', modelId: 'a', unit }))).rejects.toEqual(refusal('forbidden_unit', /is not the unit/));
    }
    expect(await dispatch(request({ op: 'selectModel', modelId: 'a', unit: UNIT }))).toEqual({ unit: UNIT, modelId: 'a' });
    expect(calls).toEqual(['selectModel a (2 models)']);
  });

  it('answers power operations with unsupported when no power control is configured', async () => {
    const dispatch = operations();
    for (const r of [
      { op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: 300 },
      { op: 'confirmPowerLimit', changeId: 'x' },
      { op: 'revertPowerLimit', changeId: 'x' },
    ]) {
      await expect(dispatch(request(r))).rejects.toEqual(refusal('unsupported', /no GPU power control configured \(nvidia-smi not found\)/));
    }
  });

  it('passes power operations to the injected control', async () => {
    const seen: unknown[] = [];
    const powerLimits: PowerLimitControl = {
      setPowerLimit: async (gpu, watts, revertAfterS) => {
        seen.push([gpu, watts, revertAfterS]);
        return { changeId: 'c1', gpu, previousW: 350, enforcedW: watts, revertAt: '2026-01-01T00:00:30.000Z' };
      },
      confirm: async (changeId) => void seen.push(['confirm', changeId]),
      revert: async (changeId) => {
        if (changeId !== 'c1') throw new HelperError('not_found', `no pending change ${changeId}`);
        return 350;
      },
    };
    const dispatch = operations({ powerLimits });
    expect(await dispatch(request({ op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: 300, revertAfterS: 30 }))).toMatchObject({ changeId: 'c1', enforcedW: 300 });
    expect(await dispatch(request({ op: 'confirmPowerLimit', changeId: 'c1' }))).toEqual({ changeId: 'c1' });
    expect(await dispatch(request({ op: 'revertPowerLimit', changeId: 'c1' }))).toEqual({ changeId: 'c1', restoredW: 350 });
    await expect(dispatch(request({ op: 'revertPowerLimit', changeId: 'c2' }))).rejects.toEqual(refusal('not_found', /no pending change c2/));
    expect(seen).toEqual([
      ['00000000:01:00.0', 300, 30],
      ['confirm', 'c1'],
    ]);
    expect(await dispatch(request({ op: 'status' }))).toMatchObject({ powerControl: true });
  });
});
