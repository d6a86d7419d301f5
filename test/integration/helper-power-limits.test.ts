import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { helperRequest, HelperRequestError } from '../../electron/helper/helper-client.js';
import { createTempGroup, exchange, requestLine, startHelperDaemon, type HelperDaemon } from './support/helper-daemon.js';
import { waitFor } from './support/sim-host.js';

// Power limits end to end: the real helper daemon, its socket and the fake nvidia-smi (scenario rtx3090x6:
// six RTX 3090s whose captured range is 100..350 W, default 350 W; GPU 5 is told to refuse -pl).
const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../fakes/bin/nvidia-smi', import.meta.url));
const GPU0 = { uuid: 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746', busId: '00000000:41:00.0' };
const GPU3 = { uuid: 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e', busId: '00000000:81:00.0' };
const GPU5 = { uuid: 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff05', busId: '00000000:C1:00.0' };
const run = promisify(execFile);

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('helper power-limit tests skipped: they need root (a temporary group and chown of the socket)');

describe.skipIf(!isRoot)('GPU power limits through the helper and the fake nvidia-smi', () => {
  let group: Awaited<ReturnType<typeof createTempGroup>>;
  let dir: string;
  let socketPath: string;
  let auditPath: string;
  let stateDir: string;
  let fakeEnv: NodeJS.ProcessEnv;
  let daemon: HelperDaemon | undefined;

  const start = async () => {
    daemon = await startHelperDaemon(
      [
        '--socket',
        socketPath,
        '--catalog',
        join(dir, 'switchboard.yaml'),
        '--group',
        group.name,
        '--audit-log',
        auditPath,
        '--state-dir',
        stateDir,
        '--unit-control',
        'none',
        '--nvidia-smi',
        FAKE_NVIDIA_SMI,
      ],
      { env: fakeEnv },
    );
  };
  const stop = async () => {
    await daemon?.stop();
    daemon = undefined;
  };
  /** power.limit per UUID, as the fake reports it now. */
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
  const audit = async () =>
    (await readFile(auditPath, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: HelperRequestError) => ({ code: err.code, message: err.message }),
    );

  beforeAll(async () => {
    group = await createTempGroup();
  });
  afterAll(async () => {
    await group?.remove();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-helper-power-'));
    await chmod(dir, 0o755);
    socketPath = join(dir, 'helper.sock');
    auditPath = join(dir, 'log', 'helper-audit.jsonl');
    stateDir = join(dir, 'state');
    fakeEnv = { FAKE_NVIDIA_SMI_SCENARIO: 'rtx3090x6', FAKE_NVIDIA_SMI_STATE: join(dir, 'fake-nvidia-smi.json'), FAKE_NVIDIA_SMI_UNSUPPORTED_PL: GPU5.busId };
    const catalog = { backend: { kind: 'systemd', unit: 'sbh-power-test.service', port: 39000 }, sglang: { command: ['/usr/bin/python3'] }, models: [{ id: 'a', modelPath: '/models/a' }] };
    await writeFile(join(dir, 'switchboard.yaml'), stringify(catalog), { mode: 0o644 });
    await start();
  });

  afterEach(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says in its status that power control is on', async () => {
    expect(await helperRequest(socketPath, { op: 'status' })).toMatchObject({ powerControl: true });
    expect(daemon!.stderr()).toContain(`GPU power limits through ${FAKE_NVIDIA_SMI}`);
  });

  it('applies an in-range limit by UUID, reports the enforced limit read back, and reverts it on request', async () => {
    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 300 });
    expect(change).toMatchObject({ gpu: GPU0.uuid, previousW: 350, enforcedW: 300 });
    expect((await fakeLimits())[GPU0.uuid]).toBe(300);
    expect(await helperRequest(socketPath, { op: 'revertPowerLimit', changeId: change.changeId })).toEqual({ changeId: change.changeId, restoredW: 350 });
    expect((await fakeLimits())[GPU0.uuid]).toBe(350);
  });

  it('names GPUs by bus id too, and the protocol refuses an index', async () => {
    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU3.busId.toLowerCase(), watts: 250 });
    expect(change).toMatchObject({ gpu: GPU3.uuid, previousW: 350, enforcedW: 250 });
    expect((await fakeLimits())[GPU3.uuid]).toBe(250);
    const [byIndex] = await exchange(socketPath, requestLine(1, 'setPowerLimit', { gpu: '3', watts: 250 }));
    expect(byIndex.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^gpu: must be a GPU UUID .* or a PCI bus id/) });
  });

  it("refuses an out-of-range limit with the GPU's real bounds and changes nothing", async () => {
    for (const watts of [99, 400]) {
      expect(await refusal(helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts }))).toEqual({
        code: 'out_of_range',
        message: `${watts} W is out of range for GPU ${GPU0.uuid} (${GPU0.busId}): its power limit must be between 100 W and 350 W`,
      });
    }
    expect(Object.values(await fakeLimits())).toEqual(Array(6).fill(350));
  });

  it('reverts an unconfirmed change when its time is up', async () => {
    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.busId, watts: 200, revertAfterS: 1 });
    // 200 W as the helper read it back from the fake before it started the 1 s timer. Not a fresh read here:
    // that is another fake nvidia-smi process, which on a busy machine starts slower than the revert comes.
    expect(change).toMatchObject({ gpu: GPU0.uuid, previousW: 350, enforcedW: 200 });
    await waitFor(async () => (await fakeLimits())[GPU0.uuid] === 350, 'the limit to return to 350 W');
    const reverted = await waitFor(async () => (await audit()).find((e) => e.op === 'timedRevertPowerLimit'), 'the timed revert in the audit log');
    expect(reverted).toMatchObject({ peer: null, args: { changeId: change.changeId, gpu: GPU0.uuid, watts: 350, enforcedW: 350 }, outcome: { ok: true } });
    expect(await refusal(helperRequest(socketPath, { op: 'confirmPowerLimit', changeId: change.changeId }))).toMatchObject({ code: 'not_found' });
  });

  it('persists a confirmed limit by UUID and re-applies it when the helper starts again', async () => {
    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU3.uuid, watts: 280 });
    await helperRequest(socketPath, { op: 'confirmPowerLimit', changeId: change.changeId });
    const persisted = JSON.parse(await readFile(join(stateDir, 'power-limits.json'), 'utf8'));
    expect(persisted).toEqual({ version: 1, limits: { [GPU3.uuid]: { watts: 280, confirmedAt: expect.any(String) } } });
    await stop();
    expect((await fakeLimits())[GPU3.uuid]).toBe(280); // confirmed: not reverted at shutdown
    await rm(fakeEnv.FAKE_NVIDIA_SMI_STATE!); // as after a reboot: every GPU back at its default
    expect((await fakeLimits())[GPU3.uuid]).toBe(350);
    await start();
    expect((await fakeLimits())[GPU3.uuid]).toBe(280);
    expect((await audit()).filter((e) => e.op === 'reapplyPowerLimit')).toEqual([
      { time: expect.any(String), peer: null, op: 'reapplyPowerLimit', args: { gpu: GPU3.uuid, watts: 280, busId: GPU3.busId, previousW: 350, enforcedW: 280 }, outcome: { ok: true } },
    ]);
  });

  it('reverts unconfirmed changes when it is stopped', async () => {
    await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 220 });
    await stop();
    expect((await fakeLimits())[GPU0.uuid]).toBe(350);
    expect((await audit()).at(-1)).toMatchObject({ op: 'shutdownRevertPowerLimit', args: { gpu: GPU0.uuid, watts: 350 }, outcome: { ok: true } });
  });

  it('fails clearly, with nothing pending, for a GPU whose -pl is not supported (nvidia-smi exits 0)', async () => {
    expect(await refusal(helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU5.uuid, watts: 300 }))).toEqual({
      code: 'unsupported',
      message: `GPU ${GPU5.uuid} (${GPU5.busId}) does not support changing its power limit; nvidia-smi said: Changing power management limit is not supported for GPU: ${GPU5.busId}. Treating as warning and moving on. All done.`,
    });
    await stop();
    expect((await audit()).some((e) => e.op === 'shutdownRevertPowerLimit')).toBe(false);
    expect((await fakeLimits())[GPU5.uuid]).toBe(350);
  });

  it('records each power request in the audit log', async () => {
    const change = await helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 300 });
    await refusal(helperRequest(socketPath, { op: 'setPowerLimit', gpu: GPU0.uuid, watts: 500 }));
    await helperRequest(socketPath, { op: 'confirmPowerLimit', changeId: change.changeId });
    await refusal(helperRequest(socketPath, { op: 'revertPowerLimit', changeId: change.changeId }));
    const peer = { pid: process.pid, uid: 0, gid: 0, comm: expect.any(String) };
    expect((await audit()).map(({ peer: p, op, args, outcome }) => ({ peer: p, op, args, outcome }))).toEqual([
      { peer, op: 'setPowerLimit', args: { gpu: GPU0.uuid, watts: 300 }, outcome: { ok: true } },
      { peer, op: 'setPowerLimit', args: { gpu: GPU0.uuid, watts: 500 }, outcome: { ok: false, error: expect.objectContaining({ code: 'out_of_range' }) } },
      { peer, op: 'confirmPowerLimit', args: { changeId: change.changeId }, outcome: { ok: true } },
      { peer, op: 'revertPowerLimit', args: { changeId: change.changeId }, outcome: { ok: false, error: expect.objectContaining({ code: 'not_found' }) } },
    ]);
  });
});
