import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildLaunch } from '../../../shared/build-launch-argv.js';
import { catalogSchema, type CatalogInput } from '../../../shared/catalog-schema.js';
import { renderDropIn } from '../../../shared/systemd-drop-in.js';
import { DirectUnitControl } from './direct-unit-control.js';

/** Stands in for systemctl: daemon-reload succeeds and does nothing. */
const SYSTEMCTL_OK = [process.execPath, '-e', ''];

let dropInRoot: string;
beforeEach(async () => {
  dropInRoot = await mkdtemp(join(tmpdir(), 'direct-unit-control-'));
});
afterEach(() => rm(dropInRoot, { recursive: true, force: true }));

const catalogOf = (models: CatalogInput['models'], unit = 'sglang@.service') => catalogSchema.parse({ backend: { kind: 'systemd', unit, port: 30000 }, router: { port: 8002 }, models });
const control = (unit: string, catalog: ReturnType<typeof catalogOf>) => new DirectUnitControl({ catalog, unit, scope: 'system', dropInRoot, systemctlCommand: SYSTEMCTL_OK });

describe('DirectUnitControl', () => {
  it("writes an instance's own drop-in, with the port of the model's slot", async () => {
    const catalog = catalogOf([
      { id: 'a', modelPath: '/m/a', gpus: [0], port: 31000 },
      { id: 'b', modelPath: '/m/b', gpus: [1] },
      { id: 'c', modelPath: '/m/c', gpus: [1] },
    ]);
    const gpu0 = control('sglang@gpu0.service', catalog);
    const gpu1 = control('sglang@gpu1.service', catalog);
    expect(gpu0.dropInPath).toBe(join(dropInRoot, 'sglang@gpu0.service.d', '50-switchboard.conf'));
    await gpu0.selectModel('a');
    await gpu1.selectModel('c');
    const launchA = buildLaunch(catalog.models[0]!, catalog, { port: 31000 });
    // The first slot took its explicit port, so gpu1 gets the first of backend.portRange's ports.
    const launchC = buildLaunch(catalog.models[2]!, catalog, { port: 30000 });
    expect(await readFile(gpu0.dropInPath, 'utf8')).toBe(renderDropIn({ argv: launchA.argv, env: launchA.env, modelId: 'a' }));
    expect(await readFile(gpu1.dropInPath, 'utf8')).toBe(renderDropIn({ argv: launchC.argv, env: launchC.env, modelId: 'c' }));
    expect(launchC.argv).toEqual(expect.arrayContaining(['--port', '30000']));
    expect(launchC.env).toEqual({ CUDA_VISIBLE_DEVICES: '1' });
  });

  it('keeps backend.port for the one slot of a plain unit', async () => {
    const catalog = catalogOf([{ id: 'a', modelPath: '/m/a' }], 'sglang.service');
    const plain = control('sglang.service', catalog);
    await plain.selectModel('a');
    expect(await readFile(plain.dropInPath, 'utf8')).toContain('--port 30000');
  });

  it("never writes a template's drop-in, which every instance would read", async () => {
    const catalog = catalogOf([{ id: 'a', modelPath: '/m/a', gpus: [0] }]);
    await expect(control('sglang@.service', catalog).selectModel('a')).rejects.toThrow(/sglang@.service is a template unit; select a model for one of its instances/);
  });

  it.each(['sglang@../x.service', 'a@b@c.service', '-x.service'])('refuses the unit name %j', (unit) => {
    expect(() => control(unit, catalogOf([]))).toThrow(/invalid unit name/);
  });
});
