import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLaunch } from '../../shared/build-launch-argv.js';
import { catalogSchema, type Catalog, type CatalogInput } from '../../shared/catalog-schema.js';
import { renderDropIn } from '../../shared/systemd-drop-in.js';
import type { SystemdAccessOptions } from '../../electron/engine/backends/systemd/create-unit-control.js';
import { Systemctl } from '../../electron/system/systemd/systemctl.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { createTempGroup, exchange, requestLine, startHelperDaemon, type HelperDaemon } from './support/helper-daemon.js';
import { createSimHost, freePort, waitFor, type SimHost } from './support/sim-host.js';

// A template unit on a real systemd (the sandbox): one instance per slot, each with its own drop-in,
// port and journal, started side by side and evicted together by a model that needs both GPU sets.
// Once with the engine acting as root, once through the privileged helper.

const skip = skipWithoutSandbox('systemd slots');

const UNIT_DIR = '/run/systemd/system';
const READY_LINE = 'The server is fired up and ready to roll!';

/** The template an administrator would write; ExecStart is a placeholder each instance's drop-in replaces. */
const TEMPLATE_TEXT = [
  '[Unit]',
  'Description=Switchboard test: SGLang simulator on slot %i',
  '[Service]',
  'Type=simple',
  'ExecStart=/bin/false',
  'KillMode=control-group',
  'Restart=on-failure',
  'RestartSec=0.2s',
  'TimeoutStopSec=10',
  '',
].join('\n');

/** Two models on disjoint GPUs and one that needs both, each GPU set on a port of its own. */
const MODELS = [
  { id: 'chat', gpus: [0] },
  { id: 'coder', gpus: [1] },
  { id: 'big', gpus: [0, 1], tp: 2 },
];

describe.skipIf(skip)('a template unit runs one instance per slot on the real systemd (sandbox)', () => {
  let sandbox: SystemdSandbox;
  let systemctl: Systemctl;
  let baseDir: string;
  let host: SimHost | undefined;
  let engine: Engine | undefined;
  let helper: HelperDaemon | undefined;
  let group: Awaited<ReturnType<typeof createTempGroup>> | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox();
    systemctl = new Systemctl({ scope: 'system', command: sandbox.systemctlCommand });
    baseDir = await makeSharedTempDir('switchboard-slots-');
  });

  afterEach(async () => {
    await engine?.close();
    await helper?.stop();
    await group?.remove();
    await host?.cleanup();
    engine = helper = group = host = undefined;
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  /** Installs `template` in the sandbox and returns a simulated host's catalog that runs its models as instances of it. */
  async function setUp(template: string): Promise<{ catalog: Catalog; input: CatalogInput }> {
    await sandbox.writeUnit(template, TEMPLATE_TEXT);
    host = await createSimHost(MODELS, { baseDir });
    const ports = new Map<string, number>();
    for (const m of MODELS) ports.set(m.id, await freePort());
    const input: CatalogInput = {
      ...host.catalogInput,
      backend: { ...host.catalogInput.backend, kind: 'systemd', unit: template },
      models: host.catalogInput.models!.map((m) => ({ ...m, port: ports.get(m.id!)! })),
    };
    return { catalog: catalogSchema.parse(input), input };
  }

  const instanceOf = (template: string, slotId: string) => template.replace('@.service', `@${slotId}.service`);
  const dropInOf = (unit: string) => sandbox.hostPath(join(UNIT_DIR, `${unit}.d`, '50-switchboard.conf'));
  const linesOf = (e: Engine, modelId: string) =>
    e
      .logs(100_000)
      .filter((l) => l.modelId === modelId)
      .map((l) => l.text);

  /** Both small models side by side, each in its own instance; then `big` evicts both. */
  async function checkSlots(e: Engine, catalog: Catalog, template: string): Promise<void> {
    const [chat, coder, big] = catalog.models;
    const units = { chat: instanceOf(template, 'gpu0'), coder: instanceOf(template, 'gpu1'), big: instanceOf(template, 'gpu0-1') };

    await Promise.all([e.ensureReady('chat', 'manual'), e.ensureReady('coder', 'manual')]);
    expect([...e.state().activeModels].sort()).toEqual(['chat', 'coder']);
    const [chatState, coderState] = await Promise.all([systemctl.show(units.chat), systemctl.show(units.coder)]);
    expect(chatState).toMatchObject({ activeState: 'active', subState: 'running' });
    expect(coderState).toMatchObject({ activeState: 'active', subState: 'running' });
    expect(chatState.invocationId).not.toBe(coderState.invocationId);

    // Each instance has its own drop-in: its model's argv on its slot's port, its GPUs; the template has none.
    for (const model of [chat!, coder!]) {
      const launch = buildLaunch(model, catalog, { port: model.port });
      expect(await readFile(dropInOf(units[model.id as 'chat' | 'coder']), 'utf8')).toBe(renderDropIn({ argv: launch.argv, env: launch.env, modelId: model.id }));
      expect((await fetch(`http://127.0.0.1:${model.port}/health`)).status).toBe(200);
    }
    await expect(access(sandbox.hostPath(join(UNIT_DIR, `${template}.d`)))).rejects.toThrow();
    const launches = await host!.launches();
    const portOf = (argv: string[]) => Number(argv[argv.indexOf('--port') + 1]);
    const servedOf = (argv: string[]) => argv[argv.indexOf('--served-model-name') + 1];
    expect(launches.map((l) => [servedOf(l.argv), portOf(l.argv)]).sort()).toEqual([
      ['chat', chat!.port],
      ['coder', coder!.port],
    ]);

    // Each instance's journal reaches the engine's log under its own model.
    for (const id of ['chat', 'coder']) {
      await waitFor(() => linesOf(e, id).some((l) => l.includes(READY_LINE)), `${id}'s ready line from the journal of its instance`);
      const lines = linesOf(e, id);
      expect(lines.filter((l) => l.includes(READY_LINE))).toHaveLength(1);
      expect(lines.some((l) => l.includes(`served_model_name='${id}'`))).toBe(true);
      expect(lines.some((l) => l.includes(`served_model_name='${id === 'chat' ? 'coder' : 'chat'}'`))).toBe(false);
    }

    // big needs GPUs 0 and 1: both instances stop, its own starts.
    expect(await e.ensureReady('big', 'manual')).toMatchObject({ status: 'ready', modelId: 'big' });
    expect([...e.state().activeModels]).toEqual(['big']);
    // Stopped: SGLang (and the simulator) SIGKILLs itself after its SIGTERM drain, which systemd records as failed.
    for (const unit of [units.chat, units.coder]) {
      expect(await systemctl.show(unit), unit).toMatchObject({ activeState: expect.stringMatching(/^(inactive|failed)$/), mainPid: 0 });
    }
    for (const model of [chat!, coder!]) await expect(fetch(`http://127.0.0.1:${model.port}/health`)).rejects.toThrow();
    expect(await systemctl.show(units.big)).toMatchObject({ activeState: 'active', subState: 'running' });
    const launchBig = buildLaunch(big!, catalog, { port: big!.port });
    expect(await readFile(dropInOf(units.big), 'utf8')).toBe(renderDropIn({ argv: launchBig.argv, env: launchBig.env, modelId: 'big' }));
    expect(launchBig.env.CUDA_VISIBLE_DEVICES).toBe('0,1');
    const unloads = e.swapHistory({ limit: 1000 }).filter((s) => s.action === 'unload');
    expect(unloads.map((u) => u.modelId).sort()).toEqual(['chat', 'coder']);
    expect(unloads).toEqual([expect.objectContaining({ cause: 'evict', forModel: 'big' }), expect.objectContaining({ cause: 'evict', forModel: 'big' })]);
    await waitFor(() => linesOf(e, 'big').some((l) => l.includes(READY_LINE)), "big's ready line from the journal of its instance");
  }

  it('as root: two instances side by side, each with its drop-in, port and journal; a model on both GPU sets evicts both', async () => {
    const template = 'sglang-test@.service';
    const { catalog } = await setUp(template);
    const systemd: SystemdAccessOptions = {
      systemctlCommand: sandbox.systemctlCommand,
      journalctlCommand: sandbox.journalctlCommand,
      dropInRoot: sandbox.hostPath(UNIT_DIR),
      isRoot: true,
    };
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host!.dir, probeIntervalMs: 50, systemd });
    await checkSlots(engine, catalog, template);
  }, 120_000);

  it('through the helper: it accepts exactly the slot instances of its template, audits each request, and the engine runs the same slots', async () => {
    const template = 'sglang-test-helper@.service';
    const { catalog, input } = await setUp(template);
    group = await createTempGroup();
    const helperDir = join(host!.dir, 'helper');
    await mkdir(helperDir, { recursive: true, mode: 0o755 });
    const catalogPath = join(helperDir, 'switchboard.yaml');
    await writeFile(catalogPath, stringify(input), { mode: 0o644 });
    const socketPath = join(helperDir, 'helper.sock');
    const auditPath = join(helperDir, 'audit.jsonl');
    helper = await startHelperDaemon([
      '--socket',
      socketPath,
      '--catalog',
      catalogPath,
      '--group',
      group.name,
      '--audit-log',
      auditPath,
      '--nvidia-smi',
      'none',
      '--unit-control',
      'direct',
      '--systemctl-command',
      sandbox.systemctlCommand.join(' '),
      '--drop-in-root',
      sandbox.hostPath(UNIT_DIR),
    ]);
    expect(helper.stderr()).toContain(`serving the slot instances of ${template}`);
    const systemd: SystemdAccessOptions = {
      systemctlCommand: sandbox.systemctlCommand,
      journalctlCommand: sandbox.journalctlCommand,
      helperSocketPath: socketPath,
      isRoot: false,
    };
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host!.dir, probeIntervalMs: 50, systemd });
    await checkSlots(engine, catalog, template);

    const audit = async () =>
      (await readFile(auditPath, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { op: string; args: Record<string, unknown>; outcome: { ok: boolean } });
    const selected = (await audit()).filter((a) => a.op === 'selectModel').map((a) => [a.args.modelId, a.args.unit, a.outcome.ok]);
    expect(selected.sort()).toEqual([
      ['big', instanceOf(template, 'gpu0-1'), true],
      ['chat', instanceOf(template, 'gpu0'), true],
      ['coder', instanceOf(template, 'gpu1'), true],
    ]);

    // Anything but a slot instance of the template is refused and audited; the running instance is untouched.
    const bigUnit = instanceOf(template, 'gpu0-1');
    const before = await systemctl.show(bigUnit);
    const refused = [`${template.replace('@.service', '@../x.service')}`, template.replace('@.service', '@gpu0;rm.service'), template, 'sglang-test@gpu0.service', 'systemd-journald.service'];
    for (const [i, unit] of refused.entries()) {
      const auditBefore = (await audit()).length;
      const [answer] = await exchange(socketPath, requestLine(i + 1, 'stop', { unit }));
      expect(answer, unit).toMatchObject({ ok: false, error: { code: 'forbidden_unit', message: expect.stringContaining(`"${unit}" is not the unit this helper manages`) } });
      expect((await audit()).slice(auditBefore), unit).toEqual([expect.objectContaining({ op: 'stop', args: { unit }, outcome: { ok: false, error: answer.error } })]);
    }
    const [wrongSlot] = await exchange(socketPath, requestLine(9, 'selectModel', { modelId: 'chat', unit: instanceOf(template, 'gpu1') }));
    expect(wrongSlot).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('runs in slot gpu0') } });
    expect(await readFile(dropInOf(instanceOf(template, 'gpu1')), 'utf8')).toContain('# model: coder');
    expect((await systemctl.show(bigUnit)).invocationId).toBe(before.invocationId);

    // status names the template as the helper's unit; with an instance it shows that instance.
    const [shown] = await exchange(socketPath, requestLine(10, 'status', { unit: bigUnit }));
    expect(shown).toMatchObject({ ok: true, result: { unit: template, unitState: { activeState: 'active', invocationId: before.invocationId } } });
    const [plain] = await exchange(socketPath, requestLine(11, 'status'));
    expect(plain).toMatchObject({ ok: true, result: { unit: template, pid: helper!.pid, unitState: null, unitError: expect.stringContaining('is a template unit') } });
  }, 150_000);
});
