import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLaunch } from '../../shared/build-launch-argv.js';
import { catalogSchema, type Catalog } from '../../shared/catalog-schema.js';
import { renderDropIn } from '../../shared/systemd-drop-in.js';
import { DirectUnitControl } from '../../electron/system/systemd/direct-unit-control.js';
import type { SystemdAccessOptions } from '../../electron/engine/backends/systemd/create-unit-control.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { EngineError } from '../../shared/engine-error.js';
import { makeSharedTempDir, ROOT_RUNTIME_DIR, skipWithoutSandbox, startRootUserManager, startSandbox, uniqueUnitName, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { createSimHost, waitFor, type SimHost, type SimModelSpec } from './support/sim-host.js';

const skip = skipWithoutSandbox('systemd backend');

/** The unit an administrator would write; ExecStart is a placeholder the drop-in replaces. */
function simUnit(restart: string): string {
  return [
    '[Unit]',
    'Description=Switchboard test: SGLang simulator',
    '[Service]',
    'Type=simple',
    'ExecStart=/bin/false',
    'KillMode=control-group',
    restart,
    'RestartSec=0.2s',
    'TimeoutStopSec=10',
    '',
  ].join('\n');
}

const READY_LINE = 'The server is fired up and ready to roll!';

describe.skipIf(skip)('systemd backend against the real systemd (sandbox) and the SGLang simulator', () => {
  let sandbox: SystemdSandbox;
  let baseDir: string;
  let host: SimHost | undefined;
  let engine: Engine | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox();
    baseDir = await makeSharedTempDir('switchboard-systemd-');
  });

  afterEach(async () => {
    await engine?.close();
    await host?.cleanup();
    engine = undefined;
    host = undefined;
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  interface Setup {
    engine: Engine;
    catalog: Catalog;
    unit: string;
    control: DirectUnitControl;
  }

  /** A simulated host whose catalog selects the systemd backend, and an engine wired to the sandbox. */
  async function startEngine(models: SimModelSpec[], unitText: string, scope: 'system' | 'user' = 'system'): Promise<Setup> {
    host = await createSimHost(models, { baseDir });
    const unit = uniqueUnitName('switchboard-sim');
    const unitDir = scope === 'system' ? '/run/systemd/system' : join(ROOT_RUNTIME_DIR, 'systemd/user');
    const userEnv = scope === 'user' ? ['env', `XDG_RUNTIME_DIR=${ROOT_RUNTIME_DIR}`] : [];
    const access: SystemdAccessOptions = {
      systemctlCommand: sandbox.command(...userEnv, 'systemctl'),
      journalctlCommand: sandbox.journalctlCommand,
      dropInRoot: sandbox.hostPath(unitDir),
    };
    await mkdir(sandbox.hostPath(unitDir), { recursive: true });
    await writeFile(sandbox.hostPath(join(unitDir, unit)), unitText);
    const catalog = catalogSchema.parse({ ...host.catalogInput, backend: { ...host.catalogInput.backend, kind: 'systemd', unit, scope } });
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, systemd: access });
    const control = new DirectUnitControl({ catalog, unit, scope, dropInRoot: access.dropInRoot, systemctlCommand: access.systemctlCommand });
    return { engine, catalog, unit, control };
  }

  function linesOf(e: Engine, modelId: string): string[] {
    return e
      .logs(100_000)
      .filter((l) => l.modelId === modelId)
      .map((l) => l.text);
  }

  function waitForReadyLine(e: Engine, modelId: string): Promise<boolean> {
    return waitFor(() => linesOf(e, modelId).some((l) => l.includes(READY_LINE)), `${modelId}'s ready line in the journal stream`);
  }

  it("switches A→B: drop-in with B's exact argv, unit restarted, ready on /health, B's journal only", async () => {
    const template = '/templates/chat 50% $HOME "v2".jinja';
    const { engine: e, catalog, control } = await startEngine([{ id: 'a' }, { id: 'b', extraArgs: ['--chat-template', template] }], simUnit('Restart=on-failure'));
    await e.ensureReady('a', 'manual');
    const stateA = await control.show();
    expect(stateA).toMatchObject({ activeState: 'active', subState: 'running' });

    const slot = await e.ensureReady('b', 'manual');
    expect(slot).toMatchObject({ status: 'ready', modelId: 'b' });
    const stateB = await control.show();
    expect(stateB.activeState).toBe('active');
    expect(stateB.invocationId).not.toBe(stateA.invocationId);
    expect((await fetch(`http://127.0.0.1:${catalog.backend.port}/health`)).status).toBe(200);

    const launchB = buildLaunch(catalog.models[1]!, catalog);
    expect(await readFile(control.dropInPath, 'utf8')).toBe(renderDropIn({ argv: launchB.argv, env: launchB.env, modelId: 'b' }));
    const launches = await host!.launches();
    expect(launches).toHaveLength(2);
    expect(launches[1]!.argv).toEqual(launchB.argv.slice(2));

    // /health may answer 200 a moment before journald hands over the ready line.
    await waitForReadyLine(e, 'b');
    const linesB = linesOf(e, 'b');
    expect(linesB.filter((l) => l.endsWith(`Loading chat template from argument: ${template}`))).toHaveLength(1);
    expect(linesB.filter((l) => l.includes(READY_LINE))).toHaveLength(1);
    expect(linesB.filter((l) => l.includes('server_args=ServerArgs('))).toHaveLength(1);
    expect(linesB.some((l) => l.includes("served_model_name='a'"))).toBe(false);
    expect(linesOf(e, 'a').filter((l) => l.includes(READY_LINE))).toHaveLength(1);
  });

  it('reports an OOM under Restart=always as failed (oom) and stops the unit instead of letting it loop', async () => {
    const { engine: e, unit, control } = await startEngine([{ id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } }], simUnit('Restart=always'));
    const err = await e.ensureReady('oomy', 'request').then(
      () => null,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('load_failed');
    const slot = e.state().slots[0]!;
    expect(slot.status).toBe('failed');
    expect(slot.failure?.cause).toBe('oom');

    const first = await control.show();
    expect(['inactive', 'failed']).toContain(first.activeState);
    expect(first.subState).not.toBe('auto-restart');
    const launchesAtFailure = (await host!.launches()).length;
    expect(launchesAtFailure).toBeGreaterThanOrEqual(1);
    expect(launchesAtFailure).toBeLessThanOrEqual(3);
    // Inactive with no job queued: nothing will start it again, so later reads must agree.
    await waitFor(async () => !(await sandbox.exec(['systemctl', 'list-jobs', '--no-legend'])).stdout.includes(unit), 'no job queued for the unit');
    const second = await control.show();
    expect(second.nRestarts).toBe(first.nRestarts);
    expect(second.activeState).toBe(first.activeState);
    expect((await host!.launches()).length).toBe(launchesAtFailure);
  });

  it('turns a crash of a ready server into failed, keeps systemd from restarting it, and loads again on request', async () => {
    const { engine: e, unit, control, catalog } = await startEngine([{ id: 'crashy', env: { SGLANG_SIM_FAIL: 'crash-mid-stream' } }], simUnit('Restart=always'));
    await e.ensureReady('crashy', 'manual');
    const res = await fetch(`http://127.0.0.1:${catalog.backend.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 100 }),
    });
    expect(await res.text().catch(() => 'connection reset')).not.toContain('[DONE]');
    await waitFor(() => e.state().slots[0]!.status === 'failed', 'the slot to turn failed');
    await waitFor(async () => /inactive|failed/.test((await control.show()).activeState), 'the unit to be stopped');
    await waitFor(async () => !(await sandbox.exec(['systemctl', 'list-jobs', '--no-legend'])).stdout.includes(unit), 'no job queued for the unit');
    const launchesAfterCrash = (await host!.launches()).length;
    expect(launchesAfterCrash).toBeLessThanOrEqual(2);

    const slot = await e.ensureReady('crashy', 'request');
    expect(slot).toMatchObject({ status: 'ready', modelId: 'crashy' });
    expect((await host!.launches()).length).toBe(launchesAfterCrash + 1);
  });

  it('replaces a unit that was already serving when the engine started (as after a boot)', async () => {
    const { engine: e, control, catalog } = await startEngine([{ id: 'a' }, { id: 'b' }], simUnit('Restart=on-failure'));
    await control.selectModel('a');
    await control.start();
    const health = `http://127.0.0.1:${catalog.backend.port}/health`;
    await waitFor(async () => (await fetch(health).catch(() => undefined))?.status === 200, 'a, started outside the engine, to serve');
    const before = await control.show();

    expect(await e.ensureReady('b', 'manual')).toMatchObject({ status: 'ready', modelId: 'b' });
    expect((await control.show()).invocationId).not.toBe(before.invocationId);
    expect((await host!.launches()).map((l) => l.argv[l.argv.indexOf('--served-model-name') + 1])).toEqual(['a', 'b']);
  });

  it('runs a --user unit through the user manager with no helper', async (ctx) => {
    const manager = await startRootUserManager(sandbox);
    if (!manager.ok) {
      console.warn(`[systemd backend] --user scope skipped: no user manager in the sandbox: ${manager.reason}`);
      ctx.skip(manager.reason);
    }
    const { engine: e, control } = await startEngine([{ id: 'a' }], simUnit('Restart=on-failure'), 'user');
    await e.ensureReady('a', 'manual');
    expect(await control.show()).toMatchObject({ activeState: 'active', subState: 'running' });
    await waitForReadyLine(e, 'a');
    expect(control.dropInPath).toContain(`${ROOT_RUNTIME_DIR}/systemd/user/`);
    await e.stop('manual');
    expect((await control.show()).activeState).toMatch(/inactive|failed/);
  });
});
