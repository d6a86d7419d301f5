// The helper's power-limit store on a read-only state dir (a real read-only tmpfs): the helper starts and
// serves, a limit can be set and reverted, a confirm fails with a clear error (the file, the errno, what
// happens to the change) and leaves the file as it was; once the dir is writable again a confirm persists.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperRequest, HelperRequestError } from '../../electron/helper/helper-client.js';
import { PowerLimitStore } from '../../electron/system/nvidia-smi/power-limit-store.js';
import { createTempGroup, startHelperDaemon, type HelperDaemon } from './support/helper-daemon.js';

const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../fakes/bin/nvidia-smi', import.meta.url));
const GPU0 = { uuid: 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746', busId: '00000000:41:00.0' };
const GPU3 = { uuid: 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e', busId: '00000000:81:00.0' };
const run = promisify(execFile);

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('helper read-only state dir tests skipped: they need root (mount, a temporary group, chown of the socket)');

describe.skipIf(!isRoot)('the helper with a read-only state dir', () => {
  let group: Awaited<ReturnType<typeof createTempGroup>>;
  let dir: string;
  let stateDir: string;
  let mounted = false;
  let daemon: HelperDaemon | undefined;
  let fakeEnv: NodeJS.ProcessEnv;
  const persisted = `${JSON.stringify({ version: 1, limits: { [GPU3.uuid]: { watts: 280, confirmedAt: '2026-01-01T00:00:00.000Z' } } }, null, 2)}\n`;

  const fakeLimits = async (): Promise<Record<string, number>> => {
    const { stdout } = await run(FAKE_NVIDIA_SMI, ['--query-gpu=uuid,power.limit', '--format=csv,noheader,nounits'], { env: { ...process.env, ...fakeEnv } });
    return Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(', '))
        .map(([uuid, w]) => [uuid, Number(w)]),
    );
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: HelperRequestError) => ({ code: err.code, message: err.message }),
    );

  beforeAll(async () => {
    group = await createTempGroup();
    dir = await mkdtemp(join(tmpdir(), 'switchboard-helper-rofs-'));
    await chmod(dir, 0o755);
    stateDir = join(dir, 'state');
    await mkdir(stateDir);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', stateDir]);
    mounted = true;
    await writeFile(join(stateDir, 'power-limits.json'), persisted);
    await run('mount', ['-o', 'remount,ro', stateDir]);
    fakeEnv = { FAKE_NVIDIA_SMI_SCENARIO: 'rtx3090x6', FAKE_NVIDIA_SMI_STATE: join(dir, 'fake-nvidia-smi.json') };
    const catalog = { backend: { kind: 'systemd', unit: 'sbh-rofs-test.service', port: 39000 }, sglang: { command: ['/usr/bin/python3'] }, models: [{ id: 'a', modelPath: '/models/a' }] };
    await writeFile(join(dir, 'switchboard.yaml'), stringify(catalog), { mode: 0o644 });
  });

  afterAll(async () => {
    await daemon?.stop();
    if (mounted) await run('umount', [stateDir]);
    if (dir) await rm(dir, { recursive: true, force: true });
    await group?.remove();
  });

  it('the store fails with the errno and leaves the file and the dir as they were', async () => {
    const store = new PowerLimitStore(stateDir);
    await expect(store.set(GPU0.uuid, 300)).rejects.toMatchObject({ code: 'EROFS' });
    expect(await readFile(store.path, 'utf8')).toBe(persisted);
    expect(await readdir(stateDir)).toEqual(['power-limits.json']);
    expect(await store.read()).toEqual({ [GPU3.uuid]: { watts: 280, confirmedAt: '2026-01-01T00:00:00.000Z' } });
  });

  it('the helper starts, re-applies what it can read, sets and reverts; a confirm fails clearly and the helper goes on', async () => {
    const socketPath = join(dir, 'helper.sock');
    daemon = await startHelperDaemon(
      [
        '--socket',
        socketPath,
        '--catalog',
        join(dir, 'switchboard.yaml'),
        '--group',
        group.name,
        '--audit-log',
        join(dir, 'log', 'audit.jsonl'),
        '--state-dir',
        stateDir,
        '--unit-control',
        'none',
        '--nvidia-smi',
        FAKE_NVIDIA_SMI,
      ],
      { env: fakeEnv },
    );
    expect((await fakeLimits())[GPU3.uuid]).toBe(280); // read from the read-only dir and re-applied

    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 300, revertAfterS: 60 });
    expect((await fakeLimits())[GPU0.uuid]).toBe(300);
    const refused = await refusal(helperRequest(socketPath, { op: 'confirmPowerLimit', changeId: change.changeId }));
    expect(refused).toEqual({
      code: 'failed',
      message:
        `could not save the limit of ${GPU0.uuid} (300 W) to ${join(stateDir, 'power-limits.json')}: read-only file system (EROFS); ` +
        `the change is still pending and reverts at ${change.revertAt} unless a confirm succeeds (free space or make the helper's state dir writable, then confirm again)`,
    });
    expect(await readFile(join(stateDir, 'power-limits.json'), 'utf8')).toBe(persisted);
    expect(await readdir(stateDir)).toEqual(['power-limits.json']);

    // Still serving, the change still pending: it can be reverted.
    expect(await helperRequest(socketPath, { op: 'status' })).toMatchObject({ powerControl: true });
    expect(await helperRequest(socketPath, { op: 'revertPowerLimit', changeId: change.changeId })).toEqual({ changeId: change.changeId, restoredW: 350 });
    expect((await fakeLimits())[GPU0.uuid]).toBe(350);

    // Writable again: a confirm persists.
    await run('mount', ['-o', 'remount,rw', stateDir]);
    const again = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 250 });
    await helperRequest(socketPath, { op: 'confirmPowerLimit', changeId: again.changeId });
    expect(JSON.parse(await readFile(join(stateDir, 'power-limits.json'), 'utf8')).limits).toEqual({
      [GPU3.uuid]: { watts: 280, confirmedAt: '2026-01-01T00:00:00.000Z' },
      [GPU0.uuid]: { watts: 250, confirmedAt: expect.any(String) },
    });
    expect(daemon.child.exitCode).toBeNull();
  });
});
