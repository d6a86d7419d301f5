import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import type { SystemdAccessOptions } from '../../electron/engine/backends/systemd/create-unit-control.js';
import { slotInstanceUnit } from '../../electron/system/systemd/slot-instance-unit.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { EngineError } from '../../shared/engine-error.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, uniqueUnitName, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { createTempGroup, startHelperDaemon, type HelperDaemon } from './support/helper-daemon.js';
import { createSimHost, waitFor, type SimHost, type SimModelSpec } from './support/sim-host.js';

// SGLang ends every stop of a loaded model by SIGKILLing its own process tree, itself included
// (the simulator does the same). The drop-in the switchboard writes makes systemd count that as a
// clean end, so a stopped or evicted instance is `inactive` (Result=success), not `failed`; a stop
// during loading (SIGTERM, default handling) is clean anyway. The other side of the trade-off: a
// crash in which SGLang SIGKILLs itself (CUDA OOM, fatal error) ends `inactive` too, so the engine
// must, and does, diagnose it from the log lines and the exit, not from the unit's state.

const skip = skipWithoutSandbox('systemd stop state');

const UNIT_DIR = '/run/systemd/system';

/**
 * The unit an administrator would write, as the existing tests do: no SuccessExitStatus= of its own
 * (the drop-in brings it), ExecStart a placeholder the drop-in replaces.
 */
const UNIT_TEXT = [
  '[Unit]',
  'Description=Switchboard test: SGLang simulator (stop state)',
  '[Service]',
  'Type=simple',
  'ExecStart=/bin/false',
  'KillMode=control-group',
  'Restart=on-failure',
  'RestartSec=0.2s',
  'TimeoutStopSec=20',
  '',
].join('\n');

/** The example unit an administrator installs (User=/Group= are dropped: the sandbox has no `sglang` user). */
const EXAMPLE_UNIT = fileURLToPath(new URL('../../resources/systemd/sglang.service', import.meta.url));

/** MESSAGE_IDs of the service manager's messages about an invocation (systemd's sd-messages.h). */
const MESSAGE = {
  /** "Deactivated successfully." */
  success: '7ad2d189f7e94e70a38c781354912448',
  /** "Failed with result 'signal'." */
  failureResult: 'd9b373ed55a64feb8242e02dbe79a49c',
  /** "Main process exited, code=killed, status=9/KILL" (logged at info or above only when not clean). */
  processExit: '98e322203f7a4ed290d09fe03c09fe15',
  /** "Stopped <description>." (the stop job's end) */
  stopped: '9d1aaa27d60140bd96365438aad20286',
};

const READY_LINE = 'The server is fired up and ready to roll!';

interface ManagerMessage {
  MESSAGE_ID?: string;
  MESSAGE?: string;
}

describe.skipIf(skip)('a stopped or evicted SGLang unit ends inactive, not failed (real systemd in the sandbox, SGLang simulator)', () => {
  let sandbox: SystemdSandbox;
  let baseDir: string;
  let host: SimHost | undefined;
  let engine: Engine | undefined;
  let helper: HelperDaemon | undefined;
  let group: Awaited<ReturnType<typeof createTempGroup>> | undefined;
  let units: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    baseDir = await makeSharedTempDir('switchboard-stop-state-');
  });

  afterEach(async () => {
    await engine?.close();
    await helper?.stop();
    await group?.remove();
    // Whatever a failing test left running: stop it and forget a failed state.
    for (const unit of units) {
      await sandbox.exec(['systemctl', 'stop', unit]).catch(() => undefined);
      await sandbox.exec(['systemctl', 'reset-failed', unit]).catch(() => undefined);
    }
    await host?.cleanup();
    engine = helper = group = host = undefined;
    units = [];
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  /** Installs `unit` (plain or template, `unitText`) and an engine, acting as root, that runs `models` through it. */
  async function startEngine(models: SimModelSpec[], unit = uniqueUnitName('switchboard-stop'), unitText = UNIT_TEXT): Promise<{ engine: Engine; unit: string }> {
    host = await createSimHost(models, { baseDir });
    await sandbox.writeUnit(unit, unitText);
    const catalog = catalogSchema.parse({ ...host.catalogInput, backend: { ...host.catalogInput.backend, kind: 'systemd', unit } });
    const systemd: SystemdAccessOptions = {
      systemctlCommand: sandbox.systemctlCommand,
      journalctlCommand: sandbox.journalctlCommand,
      dropInRoot: sandbox.hostPath(UNIT_DIR),
      isRoot: true,
    };
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, systemd });
    units.push(unit);
    return { engine, unit };
  }

  /** `systemctl show -p ActiveState,SubState,Result,InvocationID UNIT` in the sandbox. */
  async function show(unit: string): Promise<{ ActiveState: string; SubState: string; Result: string; InvocationID: string }> {
    const { stdout } = await sandbox.exec(['systemctl', 'show', '-p', 'ActiveState,SubState,Result,InvocationID', unit]);
    const props = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return { ActiveState: props.ActiveState ?? '', SubState: props.SubState ?? '', Result: props.Result ?? '', InvocationID: props.InvocationID ?? '' };
  }

  /** The unit's state once it has left activating/deactivating (with no job queued for it). */
  async function settledState(unit: string): Promise<{ ActiveState: string; Result: string }> {
    await waitFor(async () => !(await sandbox.exec(['systemctl', 'list-jobs', '--no-legend'])).stdout.includes(unit), `no job queued for ${unit}`);
    const state = await waitFor(async () => {
      const s = await show(unit);
      return ['inactive', 'failed'].includes(s.ActiveState) ? s : undefined;
    }, `${unit} to be inactive or failed`);
    return { ActiveState: state.ActiveState, Result: state.Result };
  }

  /** The service manager's own journal messages about one invocation, once one of `until` is among them. */
  async function managerMessages(invocationId: string, until: readonly string[]): Promise<ManagerMessage[]> {
    return waitFor(async () => {
      const { stdout } = await sandbox.exec(['journalctl', '--no-pager', '-o', 'json', `INVOCATION_ID=${invocationId}`]);
      const entries = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as ManagerMessage);
      return entries.some((e) => e.MESSAGE_ID !== undefined && until.includes(e.MESSAGE_ID)) ? entries : undefined;
    }, `systemd's end messages for invocation ${invocationId}`);
  }

  /** Asserts systemd recorded the invocation's end as clean: "Deactivated successfully.", no "Failed with result". */
  async function expectCleanEnd(invocationId: string, until: readonly string[] = [MESSAGE.stopped]): Promise<void> {
    const messages = await managerMessages(invocationId, until);
    const ids = messages.map((m) => m.MESSAGE_ID);
    expect(ids, messages.map((m) => m.MESSAGE).join('\n')).toContain(MESSAGE.success);
    expect(ids, messages.map((m) => m.MESSAGE).join('\n')).not.toContain(MESSAGE.failureResult);
    expect(ids, messages.map((m) => m.MESSAGE).join('\n')).not.toContain(MESSAGE.processExit);
  }

  const linesOf = (e: Engine, modelId: string) =>
    e
      .logs(100_000)
      .filter((l) => l.modelId === modelId)
      .map((l) => l.text);

  /** Ready as the engine sees it, with the invocation systemd runs it in. */
  async function loadReady(e: Engine, unit: string, modelId: string): Promise<string> {
    expect(await e.ensureReady(modelId, 'manual')).toMatchObject({ status: 'ready', modelId });
    const state = await show(unit);
    expect(state).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    await waitFor(() => linesOf(e, modelId).some((l) => l.includes(READY_LINE)), `${modelId}'s ready line from the journal`);
    return state.InvocationID;
  }

  it('a stop of a ready model: SGLang drains and SIGKILLs itself, and the unit ends inactive with Result=success', async () => {
    const { engine: e, unit } = await startEngine([{ id: 'a' }]);
    const invocation = await loadReady(e, unit, 'a');

    await e.stop('manual');
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    await expectCleanEnd(invocation);
    // The stop went SGLang's way: drain after SIGTERM, then the tree's SIGKILL (not a plain SIGTERM death).
    expect(linesOf(e, 'a').some((l) => l.includes('SIGTERM received. signum=None frame=None. Draining requests'))).toBe(true);
    expect(linesOf(e, 'a').some((l) => l.includes('Gracefully exiting... Remaining number of requests 0'))).toBe(true);
    expect(e.state().slots[0]).toMatchObject({ status: 'stopped' });
  });

  it.each([
    ['a plain unit', (stem: string) => uniqueUnitName(stem)],
    ['a template instance', (stem: string) => uniqueUnitName(stem).replace(/\.service$/, '@.service')],
  ])('an eviction by another model of the same slot (%s): the evicted invocation ends clean, never failed', async (_kind, unitName) => {
    const configured = unitName('switchboard-evict');
    const { engine: e } = await startEngine([{ id: 'a' }, { id: 'b' }], configured);
    const slotId = e.state().slots[0]!.id;
    const unit = configured.endsWith('@.service') ? slotInstanceUnit(configured, slotId) : configured;
    units.push(unit);
    const invocationA = await loadReady(e, unit, 'a');

    // Watch the unit while b evicts a: before the change it went failed (Result=signal) between the two.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = await show(unit).catch(() => undefined);
        if (s) seen.add(`${s.ActiveState}/${s.Result}`);
      }
    })();
    const invocationB = await loadReady(e, unit, 'b').finally(() => (watching = false));
    await watcher;
    expect(invocationB).not.toBe(invocationA);
    expect([...seen].filter((s) => s.startsWith('failed'))).toEqual([]);
    await expectCleanEnd(invocationA);
    expect(linesOf(e, 'a').some((l) => l.includes('Gracefully exiting... Remaining number of requests 0'))).toBe(true);
    expect(e.swapHistory({ limit: 100 }).filter((s) => s.action === 'unload')).toEqual([expect.objectContaining({ modelId: 'a', cause: 'evict', forModel: 'b' })]);

    await e.stop('manual');
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    await expectCleanEnd(invocationB);
  });

  it('a stop while the model loads (before uvicorn: SIGTERM, default handling) ends inactive with Result=success', async () => {
    // The real time scale for this model alone: its load takes simulated seconds, so the stop lands in it.
    const { engine: e, unit } = await startEngine([{ id: 'slow', shards: 8, env: { SGLANG_SIM_TIME_SCALE: '0.3' } }]);
    const loading = e.ensureReady('slow', 'manual').then(
      () => null,
      (err: unknown) => err,
    );
    await waitFor(() => linesOf(e, 'slow').some((l) => l.includes('Load weight begin.')), 'the weights to start loading');
    const { InvocationID: invocation, ActiveState } = await show(unit);
    expect(ActiveState).toBe('active');

    await e.stop('manual');
    const err = await loading;
    expect(err).toBeInstanceOf(Error);
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    await expectCleanEnd(invocation);
    const lines = linesOf(e, 'slow');
    expect(lines.some((l) => l.includes('Uvicorn running on'))).toBe(false);
    expect(lines.some((l) => l.includes('SIGTERM received'))).toBe(false);
    expect(e.state().slots[0]).toMatchObject({ status: 'stopped' });
  });

  it('the example unit (resources/): a stop ends inactive; a self-SIGKILL crash is still restarted by systemd, and the engine stops it', async () => {
    const example = (await readFile(EXAMPLE_UNIT, 'utf8'))
      .split('\n')
      .filter((l) => !/^(User|Group)=/.test(l))
      .join('\n');
    expect(example).toContain('\nRestartForceExitStatus=SIGKILL\n');
    const { engine: e, unit } = await startEngine([{ id: 'a' }, { id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } }], uniqueUnitName('switchboard-example'), example);
    const invocation = await loadReady(e, unit, 'a');
    await e.stop('manual');
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    await expectCleanEnd(invocation);

    const err = await e.ensureReady('oomy', 'request').then(
      () => null,
      (x: unknown) => x,
    );
    expect((err as EngineError).code).toBe('load_failed');
    // RestartForceExitStatus=SIGKILL put the unit in auto-restart (RestartSec=5), where systemd still
    // holds the main process's exit: the engine read SIGKILL there, then stopped the unit before the restart.
    expect(e.state().slots[0]!.failure).toMatchObject({ cause: 'oom', phase: 'weights', exitSignal: 'SIGKILL' });
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    expect((await host!.launches()).map((l) => l.argv[l.argv.indexOf('--served-model-name') + 1])).toEqual(['a', 'oomy']);
  });

  it('through the root helper (engine not root): a stop of a ready model ends inactive with Result=success', async () => {
    host = await createSimHost([{ id: 'a' }], { baseDir });
    const unit = uniqueUnitName('switchboard-stop-helper');
    await sandbox.writeUnit(unit, UNIT_TEXT);
    units.push(unit);
    const input: CatalogInput = { ...host.catalogInput, backend: { ...host.catalogInput.backend, kind: 'systemd', unit } };
    const catalog = catalogSchema.parse(input);
    group = await createTempGroup();
    const helperDir = join(host.dir, 'helper');
    await mkdir(helperDir, { recursive: true, mode: 0o755 });
    const catalogPath = join(helperDir, 'switchboard.yaml');
    await writeFile(catalogPath, stringify(input), { mode: 0o644 });
    const socketPath = join(helperDir, 'helper.sock');
    helper = await startHelperDaemon([
      '--socket',
      socketPath,
      '--catalog',
      catalogPath,
      '--group',
      group.name,
      '--audit-log',
      join(helperDir, 'audit.jsonl'),
      '--nvidia-smi',
      'none',
      '--unit-control',
      'direct',
      '--systemctl-command',
      sandbox.systemctlCommand.join(' '),
      '--drop-in-root',
      sandbox.hostPath(UNIT_DIR),
    ]);
    const systemd: SystemdAccessOptions = {
      systemctlCommand: sandbox.systemctlCommand,
      journalctlCommand: sandbox.journalctlCommand,
      helperSocketPath: socketPath,
      isRoot: false,
    };
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, systemd });
    const invocation = await loadReady(engine, unit, 'a');

    await engine.stop('manual');
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    await expectCleanEnd(invocation);
  });

  it('the trade-off: a CUDA OOM while loading also ends inactive, and the engine still diagnoses it (oom)', async () => {
    const { engine: e, unit } = await startEngine([{ id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } }]);
    const err = await e.ensureReady('oomy', 'request').then(
      () => null,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('load_failed');
    const slot = e.state().slots[0]!;
    expect(slot.status).toBe('failed');
    // From the journal lines (the scheduler's traceback), not from the unit's state. The exit signal is
    // best effort: systemd forgets it when it unloads a unit that ended clean and nothing references.
    expect(slot.failure).toMatchObject({ cause: 'oom', phase: 'weights', message: 'CUDA out of memory while loading weights' });
    expect((slot.failure?.lastLines ?? []).some((l) => l.includes('torch.OutOfMemoryError: CUDA out of memory'))).toBe(true);
    expect([null, 'SIGKILL']).toContain(slot.failure?.exitSignal);

    // SGLang's self-SIGKILL is clean to systemd now: no failed unit, and Restart=on-failure does not bring it back.
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    expect(await host!.launches()).toHaveLength(1);
  });

  it('the trade-off: a crash of a ready server (crash-mid-stream) ends inactive, and the engine still turns the slot failed', async () => {
    const { engine: e, unit } = await startEngine([{ id: 'crashy', env: { SGLANG_SIM_FAIL: 'crash-mid-stream' } }]);
    await loadReady(e, unit, 'crashy');
    const port = e.state().slots[0]!.port;
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 100 }),
    });
    expect(await res.text().catch(() => 'connection reset')).not.toContain('[DONE]');

    await waitFor(() => e.state().slots[0]!.status === 'failed', 'the slot to turn failed');
    const failure = e.state().slots[0]!.failure!;
    expect(failure).toMatchObject({ cause: 'exited', phase: 'ready', message: expect.stringMatching(/^SGLang exited( \(SIGKILL\))? while serving$/) });
    expect((failure.lastLines ?? []).some((l) => l.includes('SIGQUIT received. signum=None, frame=None. It usually means one child failed.'))).toBe(true);
    expect(await settledState(unit)).toEqual({ ActiveState: 'inactive', Result: 'success' });
    expect(await host!.launches()).toHaveLength(1);
  });
});
