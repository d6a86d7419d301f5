import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { buildLaunch } from '../../shared/build-launch-argv.js';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import { MAX_REQUEST_BYTES } from '../../shared/helper-protocol.js';
import { renderDropIn } from '../../shared/systemd-drop-in.js';
import { connectAs, createTempGroup, exchange, inSandbox, requestLine, SANDBOX_BIN, startHelperDaemon, stopSystemdSandbox, systemdSandbox, type HelperDaemon } from './support/helper-daemon.js';
import { waitFor } from './support/sim-host.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('helper integration tests skipped: they need root (a temporary group, chown of the socket, a client run as nobody)');

describe.skipIf(!isRoot)('privileged helper over its socket', () => {
  const suffix = randomBytes(3).toString('hex');
  const unit = `sbh-test-${suffix}.service`;
  let group: Awaited<ReturnType<typeof createTempGroup>>;
  let sandbox: { pid: number } | { reason: string };
  let dir: string;
  let runDir: string;
  let socketPath: string;
  let catalogPath: string;
  let auditPath: string;
  let dropInPath: string;
  let daemon: HelperDaemon | undefined;

  const hasSystemd = () => 'pid' in sandbox;
  /** The sandbox's /run, reached from here through its PID 1's root. */
  const sandboxRun = () => `/proc/${(sandbox as { pid: number }).pid}/root/run`;
  /** Marks the rest of a test skipped, saying why, when there is no sandbox. */
  const requireSystemd = (ctx: TestContext, what: string): void => {
    if (hasSystemd()) return;
    const note = `skipped "${what}": no systemd sandbox (${(sandbox as { reason: string }).reason})`;
    console.log(note);
    ctx.skip(note);
  };

  const catalogInput = (ids: string[]): CatalogInput => ({
    backend: { kind: 'systemd', unit, port: 39000 },
    sglang: { command: ['/usr/bin/python3', '-m', 'sglang.launch_server'] },
    models: [{ id: 'serve', script: `/run/${runDir}/serve.sh` }, ...ids.map((id) => ({ id, modelPath: `/models/${id} with space`, extraArgs: ['--chat-template', '50% of $HOME'] }))],
  });
  const writeCatalog = (ids: string[]) => writeFile(catalogPath, stringify(catalogInput(ids)), { mode: 0o644 });
  const helperArgs = (): string[] => [
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
    ...(hasSystemd() ? ['--unit-control', 'direct', '--systemctl-command', `${SANDBOX_BIN} exec systemctl`, '--drop-in-root', `${sandboxRun()}/systemd/system`] : ['--unit-control', 'none']),
  ];
  const audit = async () =>
    (await readFile(auditPath, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const dropIn = () => readFile(dropInPath, 'utf8').catch(() => null);
  const status = async () => (await exchange(socketPath, requestLine(99, 'status')))[0];

  beforeAll(async () => {
    group = await createTempGroup();
    sandbox = await systemdSandbox();
    runDir = `switchboard-helper-test-${suffix}`;
    if ('pid' in sandbox) {
      // A unit whose original command differs from every model's, and the script model it can run.
      await mkdir(`${sandboxRun()}/${runDir}`, { recursive: true });
      await writeFile(`${sandboxRun()}/${runDir}/serve.sh`, '#!/bin/sh\necho "serving $0"\nexec sleep 600\n', { mode: 0o755 });
      await writeFile(`${sandboxRun()}/systemd/system/${unit}`, '[Unit]\nDescription=helper test unit\n[Service]\nExecStart=/bin/sleep 600\n');
      await inSandbox('systemctl', 'daemon-reload');
    } else {
      console.log(`helper integration: running with --unit-control none (${sandbox.reason})`);
    }
  }, 90_000);

  afterAll(async () => {
    if ('pid' in sandbox) {
      await inSandbox('systemctl', 'stop', unit).catch(() => undefined);
      await rm(`${sandboxRun()}/systemd/system/${unit}`, { force: true });
      await rm(`${sandboxRun()}/systemd/system/${unit}.d`, { recursive: true, force: true });
      await rm(`${sandboxRun()}/${runDir}`, { recursive: true, force: true });
      await inSandbox('systemctl', 'daemon-reload').catch(() => undefined);
    }
    await stopSystemdSandbox();
    await group?.remove();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-helper-'));
    await chmod(dir, 0o755); // others may traverse, so the socket's own mode is what refuses them
    socketPath = join(dir, 'helper.sock');
    catalogPath = join(dir, 'switchboard.yaml');
    auditPath = join(dir, 'log', 'helper-audit.jsonl');
    dropInPath = hasSystemd() ? `${sandboxRun()}/systemd/system/${unit}.d/50-switchboard.conf` : join(dir, 'no-drop-in');
    await rm(`${dropInPath}`, { force: true });
    await writeCatalog(['a', 'b']);
    daemon = await startHelperDaemon(helperArgs());
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('creates its socket 0660, owned by root and the group, and an audit log 0640', async () => {
    const socket = await stat(socketPath);
    expect([socket.isSocket(), socket.mode & 0o777, socket.uid, socket.gid]).toEqual([true, 0o660, 0, group.gid]);
    expect((await stat(auditPath)).mode & 0o777).toBe(0o640);
  });

  const badRequests: [string, string | Buffer, string, RegExp][] = [
    ['unknown op', requestLine(1, 'exec', { command: 'id' }), 'unknown_op', /unknown operation "exec"/],
    ['malformed JSON', '{"v":1,"id":1,"op":"selectModel",\n', 'bad_request', /malformed JSON/],
    ['oversized JSON', requestLine(1, 'selectModel', { modelId: 'a', pad: 'x'.repeat(MAX_REQUEST_BYTES) }), 'too_large', /larger than 65536 bytes/],
    ['unknown model id', requestLine(1, 'selectModel', { modelId: 'nope' }), 'unknown_model', /no model "nope"/],
    ['model id with /', requestLine(1, 'selectModel', { modelId: 'a/../../etc' }), 'bad_request', /modelId: must not contain "\/"/],
    ['model id with ..', requestLine(1, 'selectModel', { modelId: 'a..b' }), 'bad_request', /modelId: must not contain "\.\."/],
    ['model id with NUL', requestLine(1, 'selectModel', { modelId: 'a\0' }), 'bad_request', /modelId: must not contain NUL/],
    ['another unit (start)', requestLine(1, 'start', { unit: 'ssh.service' }), 'forbidden_unit', /"ssh.service" is not the unit/],
    ['another unit (stop)', requestLine(1, 'stop', { unit: 'systemd-journald.service' }), 'forbidden_unit', /not the unit this helper manages/],
    ['another unit (restart)', requestLine(1, 'restart', { unit: `${unit}.d/../x.service` }), 'forbidden_unit', /not the unit this helper manages/],
    ['extra fields', requestLine(1, 'selectModel', { modelId: 'a', catalog: '/tmp/evil.yaml' }), 'bad_request', /unknown field "catalog"/],
    ['extra fields on a unit op', requestLine(1, 'restart', { args: ['--no-block'] }), 'bad_request', /unknown field "args"/],
  ];

  it('refuses every bad request with a clear error, changes nothing, audits it and keeps serving', async () => {
    if (hasSystemd()) expect((await exchange(socketPath, requestLine(1, 'selectModel', { modelId: 'a' })))[0]).toMatchObject({ ok: true });
    const before = await dropIn();
    const shownBefore = (await status()).result.unitState;
    for (const [what, payload, code, message] of badRequests) {
      const auditBefore = (await audit()).length;
      const [answer] = await exchange(socketPath, payload);
      expect(answer, what).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) } });
      expect(await dropIn(), what).toBe(before);
      const entries = (await audit()).slice(auditBefore);
      expect(entries, what).toEqual([expect.objectContaining({ peer: expect.objectContaining({ pid: process.pid, uid: 0 }), outcome: { ok: false, error: answer.error } })]);
      expect((await status()).ok, `${what}: still serving`).toBe(true);
    }
    expect((await status()).result.unitState?.invocationId).toBe(shownBefore?.invocationId);
  });

  it('lets a group member connect and keeps everyone else out', async () => {
    const outsider = await connectAs(socketPath, { uid: 65534, gid: 65534 }, requestLine(1, 'status'));
    expect(outsider).toMatchObject({ error: 'EACCES' });
    const member = await connectAs(socketPath, { uid: 65534, gid: group.gid }, requestLine(2, 'status'));
    expect(member.response).toMatchObject({ id: 2, ok: true, result: { pid: daemon!.pid } });
    expect((await audit()).at(-1)).toMatchObject({ op: 'status', peer: { pid: member.pid, uid: 65534, gid: group.gid }, outcome: { ok: true } });
  });

  it('records each call in the audit log: time, peer, op, arguments, result', async () => {
    await exchange(socketPath, requestLine(1, 'status'));
    await exchange(socketPath, requestLine(2, 'setPowerLimit', { gpu: '00000000:01:00.0', watts: 300 }));
    await exchange(socketPath, requestLine(3, 'stop', { unit: 'cron.service' }));
    const peer = { pid: process.pid, uid: 0, gid: 0, comm: expect.any(String) };
    expect(await audit()).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), peer, op: 'status', args: {}, outcome: { ok: true } },
      {
        time: expect.any(String),
        peer,
        op: 'setPowerLimit',
        args: { gpu: '00000000:01:00.0', watts: 300 },
        outcome: { ok: false, error: { code: 'unsupported', message: 'no GPU power control configured (nvidia-smi not found)' } },
      },
      { time: expect.any(String), peer, op: 'stop', args: { unit: 'cron.service' }, outcome: { ok: false, error: expect.objectContaining({ code: 'forbidden_unit' }) } },
    ]);
  });

  it('serves two clients at once: a stalled one does not block the other', async () => {
    const stalled = connect(socketPath);
    await new Promise((r) => stalled.on('connect', r));
    stalled.write('{"v":1,"id":1,"op":"sta');
    const [a, b] = await Promise.all([exchange(socketPath, requestLine(2, 'status')), exchange(socketPath, requestLine(3, 'status'))]);
    expect([a[0].id, a[0].ok, b[0].id, b[0].ok]).toEqual([2, true, 3, true]);
    const answer = new Promise<string>((r) => stalled.on('data', (d) => r(String(d))));
    stalled.write('tus"}\n');
    expect(JSON.parse(await answer)).toMatchObject({ id: 1, ok: true });
    stalled.destroy();
  });

  it('refuses to start a second helper on the same socket, and says which pid holds it', async () => {
    const second = await startHelperDaemon(helperArgs(), { expectServing: false });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`another helper is running (pid ${daemon!.pid}) on ${socketPath}`);
    expect((await status()).ok).toBe(true);
  });

  it('takes over the socket of a helper that died', async () => {
    process.kill(-daemon!.pid, 'SIGKILL');
    await daemon!.exited;
    expect((await stat(socketPath)).isSocket()).toBe(true);
    daemon = await startHelperDaemon(helperArgs());
    expect((await status()).result.pid).toBe(daemon.pid);
  });

  it('refuses to start without its group', async () => {
    const args = helperArgs();
    args[args.indexOf('--group') + 1] = `sbh-missing-${suffix}`;
    const other = await startHelperDaemon([...args.map((a) => (a === socketPath ? join(dir, 'other.sock') : a))], { expectServing: false });
    expect(await other.exited).toBe(1);
    expect(other.stderr()).toMatch(/group "sbh-missing-\w+" does not exist; create it/);
  });

  it('reads the catalog fresh for each selectModel', async (ctx) => {
    const [first] = await exchange(socketPath, requestLine(1, 'selectModel', { modelId: 'c' }));
    expect(first.error).toEqual({ code: 'unknown_model', message: `no model "c" in the helper's catalog` });
    await writeCatalog(['a', 'b', 'c']);
    const [second] = await exchange(socketPath, requestLine(2, 'selectModel', { modelId: 'c' }));
    if (!hasSystemd()) expect(second.error.code).toBe('unsupported'); // past the catalog check: the fresh catalog has "c"
    requireSystemd(ctx, 'selectModel writes the drop-in');
    expect(second).toMatchObject({ ok: true, result: { unit, modelId: 'c' } });
    const catalog = catalogSchema.parse(catalogInput(['a', 'b', 'c']));
    const model = catalog.models.find((m) => m.id === 'c')!;
    const launch = buildLaunch(model, catalog);
    expect(await dropIn()).toBe(renderDropIn({ argv: launch.argv, env: launch.env, modelId: 'c' }));
    expect(await dropIn()).toContain('"50%% of $$HOME"');
  });

  it('selects a model and restarts the unit on the real systemd', async (ctx) => {
    requireSystemd(ctx, 'select and restart on systemd');
    expect((await exchange(socketPath, requestLine(1, 'selectModel', { modelId: 'serve' })))[0]).toMatchObject({ ok: true });
    expect((await exchange(socketPath, requestLine(2, 'restart', { unit })))[0]).toMatchObject({ ok: true, result: { unit } });
    const shown = await waitFor(async () => {
      const s = await status();
      return s.result.unitState?.subState === 'running' && s.result.unitState.mainPid > 0 ? s.result.unitState : null;
    }, 'the unit to run');
    const cmdline = await inSandbox('cat', `/proc/${shown.mainPid}/cmdline`);
    expect(cmdline.split('\0')).toContain('sleep');
    expect(await inSandbox('systemctl', 'show', '-p', 'ExecStart', unit)).toContain(`/run/${runDir}/serve.sh`);
    expect((await exchange(socketPath, requestLine(3, 'stop')))[0]).toMatchObject({ ok: true });
    expect((await status()).result.unitState.activeState).toBe('inactive');
  });
});
