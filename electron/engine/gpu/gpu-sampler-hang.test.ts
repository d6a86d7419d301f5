// A hung nvidia-smi (as when a GPU falls off the bus), with the fake's hang mode (FAKE_NVIDIA_SMI_HANG): the
// readings turn stale with the reason, the hung process is killed (it ignores SIGTERM), never more than one
// runs, and sampling comes back when nvidia-smi answers again.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GpuAvailability, GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import { GpuMonitor } from './gpu-monitor.js';
import { GpuSampler } from './gpu-sampler.js';
import { FAKE_NVIDIA_SMI } from '../../system/nvidia-smi/testing/fake-nvidia-smi.js';

let dir: string;
let hangFile: string;
let sampler: GpuSampler | undefined;
let monitor: GpuMonitor | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpu-hang-'));
  hangFile = join(dir, 'hang');
  // Read by the fake nvidia-smi processes the sampler starts (they inherit this process's environment).
  process.env.FAKE_NVIDIA_SMI_HANG = hangFile;
  process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-state.json');
});

afterEach(async () => {
  await monitor?.stop();
  await sampler?.stop();
  // Whatever is left (a failed test): killed, so no fake outlives the test.
  for (const pid of fakePids()) process.kill(pid, 'SIGKILL');
  delete process.env.FAKE_NVIDIA_SMI_HANG;
  delete process.env.FAKE_NVIDIA_SMI_STATE;
  await rm(dir, { recursive: true, force: true });
  [sampler, monitor] = [undefined, undefined];
});

/** The fake nvidia-smi processes of this test, alive now (found by the hang file in their environment). */
function fakePids(): number[] {
  const marker = `FAKE_NVIDIA_SMI_HANG=${hangFile}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes('nvidia-smi') && readFileSync(`/proc/${name}/environ`, 'latin1').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return pids;
}

/** Polls `check` until truthy, recording how many fakes run at each poll (observable state, no sleeps). */
async function waitFor<T>(check: () => T, what: string, seen: number[], timeoutMs = 40_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    seen.push(fakePids().length);
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const TOPO: GpuTopologySnapshot = { atMs: 1, topology: null, nvlink: [], nvlinkSets: [], errors: [] };
const staleOf = (a: GpuAvailability) => (a.available ? a.stale : undefined);

describe('GpuSampler with an nvidia-smi that hangs', () => {
  it('reports the readings stale with the reason, kills the hung nvidia-smi, runs one at most, and recovers', async () => {
    // Short timeouts, but long enough for the fake's start-up (tsx) on a loaded machine.
    sampler = new GpuSampler({ nvidiaSmiPath: FAKE_NVIDIA_SMI, intervalMs: 100, staleAfterMs: 1_000, hangTimeoutMs: 5_000, restartDelayMs: { initial: 100, max: 400 } });
    monitor = new GpuMonitor({
      sampler,
      readTopology: async () => TOPO,
      readHost: async () => ({
        atMs: Date.now(),
        cpuLoadPct: 1,
        cpuCount: 2,
        loadAvg1: 0,
        loadAvg5: 0,
        loadAvg15: 0,
        memTotalMiB: 1,
        memUsedMiB: 1,
        memAvailableMiB: 0,
        swapTotalMiB: 0,
        swapUsedMiB: 0,
      }),
    });
    const flips: GpuAvailability[] = [];
    monitor.subscribeAvailability((a) => flips.push(a));
    expect(await monitor.start()).toEqual({ available: true, gpuCount: 6 });
    const seen: number[] = [];
    await waitFor(() => sampler!.starts === 1 && sampler!.latest()[0]!.atMs > 0 && sampler!.runningPid, 'the -lms loop', seen);
    const loopPid = sampler.runningPid!;
    expect((await monitor.view()).stale).toBeUndefined();

    await writeFile(hangFile, '');
    // Stale while the loop still runs (hung): the reason says for how long.
    const stale = await waitFor(() => staleOf(monitor!.availability()), 'stale readings', seen);
    expect(stale.reason).toMatch(/^nvidia-smi has not answered for \d+(\.\d)? s/);
    const lastReading = Math.max(...sampler.latest().map((s) => s.atMs));
    expect(stale.sinceMs).toBeGreaterThanOrEqual(lastReading);
    const view = await monitor.view();
    expect(view).toMatchObject({ available: true, stale: { sinceMs: stale.sinceMs } });
    expect(view.samples).toHaveLength(6); // the last readings stay, marked stale

    // The hung loop ignores SIGTERM: it is SIGKILLed after the hang timeout, and the reason says so.
    await waitFor(() => !fakePids().includes(loopPid), 'the hung nvidia-smi to be killed', seen);
    const killed = await waitFor(
      () => {
        const now = staleOf(sampler!.state());
        return now?.reason.includes(`(pid ${loopPid}) was killed after 5 s; retrying`) ? now : undefined;
      },
      'the kill in the reason',
      seen,
    );
    expect(killed.reason).toMatch(/^nvidia-smi has not answered for \d+ s \(the hung nvidia-smi \(pid \d+\) was killed after 5 s; retrying\)$/);

    // The retry's probe hangs too: killed in turn, never a second nvidia-smi beside it.
    const probePid = await waitFor(() => (sampler!.runningPid !== loopPid ? sampler!.runningPid : undefined), 'the retry', seen);
    await waitFor(() => !fakePids().includes(probePid), 'the hung retry to be killed', seen);
    expect(staleOf(sampler.state())?.reason).toMatch(/^nvidia-smi has not answered for \d+ s \(/);
    expect(Math.max(...seen)).toBe(1);
    expect(flips.map((a) => staleOf(a) !== undefined)).toEqual([true]);

    // nvidia-smi answers again: fresh readings, the stale mark gone, listeners told.
    await unlink(hangFile);
    await waitFor(() => !staleOf(sampler!.state()) && sampler!.latest()[0]!.atMs > stale.sinceMs, 'fresh readings', seen, 60_000);
    expect((await monitor.view()).stale).toBeUndefined();
    expect(flips.map((a) => staleOf(a) !== undefined)).toEqual([true, false]);
    expect(Math.max(...seen)).toBe(1);

    await monitor.stop();
    expect(fakePids()).toEqual([]);
  }, 120_000);

  it('stops even while a hung nvidia-smi ignores SIGTERM, and leaves no process behind', async () => {
    sampler = new GpuSampler({ nvidiaSmiPath: FAKE_NVIDIA_SMI, intervalMs: 100, staleAfterMs: 1_000, hangTimeoutMs: 60_000 });
    await sampler.start();
    const seen: number[] = [];
    await waitFor(() => sampler!.latest().length === 6 && sampler!.runningPid, 'the -lms loop', seen);
    await writeFile(hangFile, '');
    await waitFor(() => staleOf(sampler!.state()), 'stale readings', seen);
    await sampler.stop();
    expect(fakePids()).toEqual([]);
  }, 60_000);
});
