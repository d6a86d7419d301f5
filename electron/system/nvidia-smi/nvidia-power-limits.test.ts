import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NvidiaPowerLimits, type PowerLimitEvent } from './nvidia-power-limits.js';

// Against the fake nvidia-smi (test/fakes/nvidia-smi), scenario rtx3090x6: six RTX 3090s, 100..350 W, default 350 W.
const FAKE = fileURLToPath(new URL('../../../test/fakes/bin/nvidia-smi', import.meta.url));
const GPU0 = { uuid: 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746', busId: '00000000:41:00.0' };
const GPU1 = { uuid: 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff01', busId: '00000000:42:00.0' };
const GPU3 = { uuid: 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e', busId: '00000000:81:00.0' };
const GPU5 = { uuid: 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff05', busId: '00000000:C1:00.0' };
const run = promisify(execFile);

let dir: string;
let events: PowerLimitEvent[];
let limits: NvidiaPowerLimits;

/** power.limit per UUID, as the fake reports it now. */
async function fakeLimits(): Promise<Record<string, number>> {
  const { stdout } = await run(FAKE, ['--query-gpu=uuid,power.limit', '--format=csv,noheader,nounits']);
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(', '))
      .map(([uuid, w]) => [uuid, Number(w)]),
  );
}

function create(options: Partial<ConstructorParameters<typeof NvidiaPowerLimits>[0]> = {}): NvidiaPowerLimits {
  return new NvidiaPowerLimits({ nvidiaSmiPath: FAKE, stateDir: join(dir, 'state'), onEvent: (e) => events.push(e), ...options });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nvidia-power-limits-'));
  events = [];
  vi.stubEnv('FAKE_NVIDIA_SMI_SCENARIO', 'rtx3090x6');
  vi.stubEnv('FAKE_NVIDIA_SMI_STATE', join(dir, 'fake-state.json'));
  vi.stubEnv('FAKE_NVIDIA_SMI_PRIVILEGED', '1');
  vi.stubEnv('FAKE_NVIDIA_SMI_UNSUPPORTED_PL', GPU5.busId);
  limits = create();
});

afterEach(async () => {
  await limits.revertPending();
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('NvidiaPowerLimits against the fake nvidia-smi', () => {
  it('sets a limit by UUID, reports the enforced limit read back, and reverts on request', async () => {
    const change = await limits.setPowerLimit(GPU0.uuid, 300, 60);
    expect(change).toEqual({ changeId: expect.stringMatching(/^pl-[0-9a-f]{12}$/), gpu: GPU0.uuid, previousW: 350, enforcedW: 300, revertAt: expect.any(String) });
    expect(Date.parse(change.revertAt) - Date.now()).toBeGreaterThan(50_000);
    expect((await fakeLimits())[GPU0.uuid]).toBe(300);
    expect(limits.pendingChanges()).toEqual([change]);
    expect(await limits.revert(change.changeId)).toBe(350);
    expect((await fakeLimits())[GPU0.uuid]).toBe(350);
    expect(limits.pendingChanges()).toEqual([]);
  });

  it('names a GPU by PCI bus id in any spelling', async () => {
    const change = await limits.setPowerLimit(GPU1.busId.toLowerCase(), 280);
    expect(change).toMatchObject({ gpu: GPU1.uuid, previousW: 350, enforcedW: 280 });
    expect((await fakeLimits())[GPU1.uuid]).toBe(280);
    // Resolution comes before the range check, so a refusal shows which GPU a spelling named.
    for (const spelling of [GPU1.busId, '0000:42:00.0', '42:00.0']) {
      await expect(limits.setPowerLimit(spelling, 50), spelling).rejects.toMatchObject({ code: 'out_of_range', message: expect.stringContaining(GPU1.uuid) });
    }
  });

  it('refuses an index and an unknown GPU, naming the GPUs it knows', async () => {
    await expect(limits.setPowerLimit('0', 300)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/index; name GPUs by UUID or PCI bus id/) });
    const unknown = limits.setPowerLimit('GPU-00000000-1111-2222-3333-444444444444', 300);
    await expect(unknown).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining(`${GPU0.uuid} (${GPU0.busId})`) });
    await expect(limits.setPowerLimit('00000000:99:00.0', 300)).rejects.toMatchObject({ code: 'not_found' });
  });

  it("refuses limits outside the GPU's real bounds and changes nothing", async () => {
    for (const watts of [99, 351]) {
      await expect(limits.setPowerLimit(GPU3.uuid, watts)).rejects.toMatchObject({
        code: 'out_of_range',
        message: `${watts} W is out of range for GPU ${GPU3.uuid} (${GPU3.busId}): its power limit must be between 100 W and 350 W`,
      });
    }
    expect(Object.values(await fakeLimits())).toEqual([350, 350, 350, 350, 350, 350]);
    expect(limits.pendingChanges()).toEqual([]);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 300.5, -300, 0])('refuses %d W as a bad request', async (watts) => {
    await expect(limits.setPowerLimit(GPU0.uuid, watts)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^watts: /) });
  });

  it('reverts by itself after revertAfterS unless confirmed, and says so', async () => {
    const change = await limits.setPowerLimit(GPU0.busId, 250, 0.3);
    await vi.waitFor(async () => expect((await fakeLimits())[GPU0.uuid]).toBe(350), { timeout: 15_000, interval: 100 });
    await vi.waitFor(() => expect(events).toEqual([{ op: 'timedRevertPowerLimit', args: { changeId: change.changeId, gpu: GPU0.uuid, watts: 350, enforcedW: 350 }, outcome: { ok: true } }]), {
      timeout: 5000,
    });
    await expect(limits.confirm(change.changeId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lets a second change supersede the first while keeping the original limit to restore', async () => {
    const first = await limits.setPowerLimit(GPU0.uuid, 300);
    const second = await limits.setPowerLimit(GPU0.uuid, 250);
    expect(second).toMatchObject({ previousW: 350, enforcedW: 250 });
    expect(limits.pendingChanges().map((c) => c.changeId)).toEqual([second.changeId]);
    await expect(limits.revert(first.changeId)).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/superseded/) });
    expect(await limits.revert(second.changeId)).toBe(350);
  });

  it('confirm cancels the revert and persists the limit by UUID', async () => {
    const change = await limits.setPowerLimit(GPU3.busId, 275);
    await limits.confirm(change.changeId);
    expect(limits.pendingChanges()).toEqual([]);
    const file = JSON.parse(await readFile(limits.persistedPath, 'utf8'));
    expect(file).toEqual({ version: 1, limits: { [GPU3.uuid]: { watts: 275, confirmedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } } });
    expect(limits.persistedPath).toBe(join(dir, 'state', 'power-limits.json'));
    await expect(limits.revert(change.changeId)).rejects.toMatchObject({ code: 'not_found' });
    await limits.revertPending();
    expect((await fakeLimits())[GPU3.uuid]).toBe(275);
  });

  it('re-applies persisted limits by UUID, skipping GPUs that are gone and limits now out of range', async () => {
    const missing = 'GPU-00000000-1111-2222-3333-444444444444';
    const persisted = { [GPU0.uuid]: 280, [missing]: 250, [GPU3.uuid]: 500, [GPU1.uuid]: 350 };
    const entries = Object.fromEntries(Object.entries(persisted).map(([uuid, watts]) => [uuid, { watts, confirmedAt: '2026-01-01T00:00:00.000Z' }]));
    await mkdir(join(dir, 'state'));
    await writeFile(limits.persistedPath, JSON.stringify({ version: 1, limits: entries }));
    await limits.reapplyPersisted();
    expect((await fakeLimits())[GPU0.uuid]).toBe(280);
    expect((await fakeLimits())[GPU3.uuid]).toBe(350);
    expect(events).toEqual([
      { op: 'reapplyPowerLimit', args: { gpu: GPU0.uuid, watts: 280, busId: GPU0.busId, previousW: 350, enforcedW: 280 }, outcome: { ok: true } },
      { op: 'reapplyPowerLimit', args: { gpu: missing, watts: 250 }, outcome: { ok: false, error: { code: 'not_found', message: expect.stringContaining(`no GPU ${missing}`) } } },
      { op: 'reapplyPowerLimit', args: { gpu: GPU3.uuid, watts: 500 }, outcome: { ok: false, error: { code: 'out_of_range', message: expect.stringContaining('between 100 W and 350 W') } } },
      { op: 'reapplyPowerLimit', args: { gpu: GPU1.uuid, watts: 350, busId: GPU1.busId, unchanged: true }, outcome: { ok: true } },
    ]);
    expect(limits.pendingChanges()).toEqual([]);
  });

  it('reports a corrupt persisted file instead of failing the start', async () => {
    await mkdir(join(dir, 'state'));
    await writeFile(limits.persistedPath, '{"version":1,"limits":');
    await limits.reapplyPersisted();
    expect(events).toEqual([
      { op: 'reapplyPowerLimit', args: { file: limits.persistedPath }, outcome: { ok: false, error: { code: 'internal', message: expect.stringContaining('not valid JSON') } } },
    ]);
  });

  it("answers unsupported, with nvidia-smi's text and nothing pending, when -pl is not supported yet exits 0", async () => {
    await expect(limits.setPowerLimit(GPU5.uuid, 300)).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining(`Changing power management limit is not supported for GPU: ${GPU5.busId}. Treating as warning and moving on. All done.`),
    });
    expect(limits.pendingChanges()).toEqual([]);
    expect((await fakeLimits())[GPU5.uuid]).toBe(350);
  });

  it('fails, naming the permission problem, when nvidia-smi may not change limits', async () => {
    vi.stubEnv('FAKE_NVIDIA_SMI_PRIVILEGED', '0');
    await expect(limits.setPowerLimit(GPU0.uuid, 300)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/must run as root.*Insufficient Permissions/) });
    expect(limits.pendingChanges()).toEqual([]);
  });

  it('fails, with nothing pending, when nvidia-smi reports success but the limit reads back unchanged', async () => {
    vi.stubEnv('FAKE_NVIDIA_SMI_FAIL', 'pl-no-effect');
    await expect(limits.setPowerLimit(GPU0.uuid, 300)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/set to 300 W, but power\.limit reads 350 W$/) });
    expect(limits.pendingChanges()).toEqual([]);
  });

  it('fails when nvidia-smi cannot run', async () => {
    const broken = create({ nvidiaSmiPath: join(dir, 'no-such-nvidia-smi') });
    await expect(broken.setPowerLimit(GPU0.uuid, 300)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/could not run .*no-such-nvidia-smi/) });
  });

  it('revertPending restores every unconfirmed change and logs each', async () => {
    await limits.setPowerLimit(GPU0.uuid, 200);
    await limits.setPowerLimit(GPU3.uuid, 220);
    await limits.revertPending();
    expect(Object.values(await fakeLimits())).toEqual([350, 350, 350, 350, 350, 350]);
    expect(events.map((e) => [e.op, e.args.gpu, e.outcome.ok])).toEqual([
      ['shutdownRevertPowerLimit', GPU0.uuid, true],
      ['shutdownRevertPowerLimit', GPU3.uuid, true],
    ]);
  });
});
