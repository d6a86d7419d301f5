import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import type { SystemdAccessOptions } from '../../electron/engine/backends/systemd/create-unit-control.js';
import { Systemctl } from '../../electron/system/systemd/systemctl.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { createSimHost, freePort, type SimHost } from './support/sim-host.js';

// Warm switch on the systemd backend (a template unit on the real systemd of the sandbox): a warm
// model runs in an instance of its own (`<template>@gpu0.alpha.service`); put to sleep, its unit stays
// active with the same process while the cold model's instance takes the GPU; woken, it serves again
// from that very process, and the cold model's instance is stopped.

const skip = skipWithoutSandbox('systemd warm switch');
const UNIT_DIR = '/run/systemd/system';
const TEMPLATE = 'sglang-warm@.service';
const TEMPLATE_TEXT = [
  '[Unit]',
  'Description=Switchboard test: SGLang simulator on slot %i',
  '[Service]',
  'Type=simple',
  'ExecStart=/bin/false',
  'KillMode=control-group',
  'TimeoutStopSec=10',
  '',
].join('\n');

describe.skipIf(skip)('warm switch with the systemd backend (sandbox)', () => {
  let sandbox: SystemdSandbox;
  let systemctl: Systemctl;
  let baseDir: string;
  let host: SimHost | undefined;
  let engine: Engine | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox();
    systemctl = new Systemctl({ scope: 'system', command: sandbox.systemctlCommand });
    baseDir = await makeSharedTempDir('switchboard-warm-');
  });
  afterEach(async () => {
    await engine?.close();
    await host?.cleanup();
    engine = host = undefined;
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it("a sleeping model's unit stays active with the same process; waking it needs no restart", async () => {
    await sandbox.writeUnit(TEMPLATE, TEMPLATE_TEXT);
    host = await createSimHost(
      [
        { id: 'alpha', gpus: [0] },
        { id: 'beta', gpus: [0] },
      ],
      { baseDir },
    );
    const input: CatalogInput = {
      ...host.catalogInput,
      backend: { ...host.catalogInput.backend, kind: 'systemd', unit: TEMPLATE },
      models: await Promise.all(host.catalogInput.models!.map(async (m) => ({ ...m, port: await freePort(), ...(m.id === 'alpha' ? { switchMode: 'warm' as const } : {}) }))),
    };
    const catalog = catalogSchema.parse(input);
    const systemd: SystemdAccessOptions = { systemctlCommand: sandbox.systemctlCommand, journalctlCommand: sandbox.journalctlCommand, dropInRoot: sandbox.hostPath(UNIT_DIR), isRoot: true };
    engine = await createEngine({
      catalog,
      configPath: 'test',
      stateDir: host.dir,
      probeIntervalMs: 50,
      systemd,
      gpuMonitor: false,
      readHostMemory: async () => ({ memAvailableMiB: 256 * 1024, memTotalMiB: 512 * 1024 }),
    });
    const alphaUnit = 'sglang-warm@gpu0.alpha.service';
    const betaUnit = 'sglang-warm@gpu0.service';

    await engine.ensureReady('alpha', 'manual');
    const awake = await systemctl.show(alphaUnit);
    expect(awake).toMatchObject({ activeState: 'active', subState: 'running' });

    await engine.ensureReady('beta', 'manual');
    expect(engine.state().slots.find((s) => s.modelId === 'alpha')?.status).toBe('sleeping');
    const asleep = await systemctl.show(alphaUnit);
    expect(asleep).toMatchObject({ activeState: 'active', subState: 'running', mainPid: awake.mainPid, invocationId: awake.invocationId });
    expect(await systemctl.show(betaUnit)).toMatchObject({ activeState: 'active', subState: 'running' });

    const loads = engine.loadHistory({ model: 'alpha' }).length;
    expect(await engine.ensureReady('alpha', 'manual')).toMatchObject({ status: 'ready', modelId: 'alpha' });
    expect(engine.loadHistory({ model: 'alpha' })).toHaveLength(loads);
    expect(await systemctl.show(alphaUnit)).toMatchObject({ activeState: 'active', mainPid: awake.mainPid, invocationId: awake.invocationId });
    expect(await systemctl.show(betaUnit)).toMatchObject({ activeState: expect.stringMatching(/^(inactive|failed)$/), mainPid: 0 });
    expect(engine.swapHistory({}).map((r) => `${r.action} ${r.modelId}`)).toEqual(['load alpha', 'sleep alpha', 'load beta', 'unload beta', 'wake alpha']);
  }, 120_000);
});
