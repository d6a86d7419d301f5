import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadPhase } from '../../shared/load-phase.js';
import type { SlotView } from '../../shared/engine-state.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';
import { killLaunches, killServe, liveLaunches, spawnServe, startServe, writeHostCatalog, type ServeProcess } from './support/serve-process.js';

// A graceful stop of `switchboard serve` in any phase of a load — and a second signal arriving while
// that stop runs, as from a parent that stops its child twice — leaves no SGLang server behind.

let host: SimHost | undefined;
let serve: ServeProcess | undefined;

afterEach(async () => {
  if (serve) await killServe(serve);
  serve = undefined;
  if (host) await killLaunches(host);
  await host?.cleanup();
  host = undefined;
});

type Moment = LoadPhase | 'evicting';
/**
 * `SIGTERM`/`SIGINT`: one signal, a graceful stop (exit 0). `twice`: a second SIGTERM once the stop is
 * under way (exit 143, servers killed at once). `parent gone`: two SIGTERMs back to back, then the
 * parent that read serve's output through pipes goes away (its writes fail with EPIPE from then on).
 */
type Stop = 'SIGTERM' | 'SIGINT' | 'twice' | 'parent gone';

const CASES: [Moment, Stop][] = [
  ...(['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'torch_compile', 'warmup', 'ready', 'evicting'] as const).flatMap((moment): [Moment, Stop][] => [[moment, 'twice']]),
  ['weights', 'parent gone'],
  ['ready', 'parent gone'],
  ['evicting', 'parent gone'],
  ['weights', 'SIGTERM'],
  ['ready', 'SIGTERM'],
  ['evicting', 'SIGTERM'],
  ['cuda_graphs', 'SIGINT'],
];

function reached(slot: SlotView, moment: Moment): boolean {
  if (moment === 'evicting') return slot.status === 'stopping' && slot.modelId === 'alpha';
  if (moment === 'ready') return slot.status === 'ready' && slot.modelId !== null;
  return (slot.status === 'starting' || slot.status === 'loading') && slot.progress?.phase === moment;
}

/** SIGSTOPs a server's process group; the moment may have passed (an eviction that finished meanwhile). */
function freeze(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGSTOP');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

describe.runIf(process.platform === 'linux')('a stop in every phase of a load leaves no server', () => {
  it.each(CASES)('%s, then %s', async (moment, stop) => {
    // Slow enough (time scale 0.1) that every phase lasts a few hundred ms; torch.compile only where it is the phase under test.
    host = await createSimHost(
      [
        { id: 'alpha', shards: 3, torchCompile: moment === 'torch_compile', extraArgs: moment === 'torch_compile' ? ['--torch-compile-max-bs', '1'] : [] },
        { id: 'beta', shards: 2 },
      ],
      { timeScale: 0.1 },
    );
    serve = await startServe(host, await writeHostCatalog(host));
    const s = serve;
    await s.post('/api/models/alpha/switch', {});
    if (moment === 'evicting') {
      await waitFor(async () => (await s.state()).slots[0]?.status === 'ready', 'alpha ready', 30_000);
      await s.post('/api/models/beta/switch', {});
    }
    const slot = await waitFor(
      async () => {
        const view = (await s.state()).slots[0]!;
        return reached(view, moment) && view.pid !== undefined ? view : null;
      },
      `the ${moment} moment`,
      30_000,
    );
    const group = -s.child.pid!;

    if (stop === 'SIGTERM' || stop === 'SIGINT') {
      process.kill(group, stop);
      expect(await s.exited).toEqual({ code: 0, signal: null });
    } else if (stop === 'twice') {
      // The server is frozen first (SIGSTOP), as one that is slow to stop: the graceful stop then waits for it
      // (up to stopTimeoutS), so the second SIGTERM lands while that stop is under way. Without it, a server in
      // a load phase died of the first SIGTERM at once and the stop could finish before this test (starved on a
      // busy machine) sent the second: exit 0, or the default action on a serve already exiting.
      freeze(slot.pid!);
      process.kill(group, 'SIGTERM');
      await waitFor(() => s.output().includes('stopping the backend'), 'the graceful stop to begin');
      process.kill(group, 'SIGTERM');
      const exit = await s.exited;
      expect(exit.code, s.output()).toBe(143);
      // SIGKILLed just before serve exited: ended once the kernel has run them. Frozen, nothing else ends them.
      await waitFor(async () => (await liveLaunches(host!)).length === 0, 'the SIGKILLed servers to end (servers left after a second SIGTERM)', 10_000);
    } else {
      process.kill(group, 'SIGTERM');
      process.kill(group, 'SIGTERM');
      s.child.stdout!.destroy();
      s.child.stderr!.destroy();
      // Two signals sent before serve handled the first may arrive as one (a graceful stop: exit 0, the servers waited
      // for); as two, the second SIGKILLs the server groups and exits at once (143): they end once the kernel has run them.
      const exit = await s.exited;
      expect([0, 143]).toContain(exit.code);
      if (exit.code === 143) await waitFor(async () => (await liveLaunches(host!)).length === 0, 'the SIGKILLed servers to end (servers left after a second SIGTERM)', 10_000);
    }
    serve = undefined;
    expect(await liveLaunches(host), s.output()).toEqual([]);
    expect(listGroupMembers(slot.pid!)).toEqual([]);
  });
});

/** True once SIGTERM waits in the process's shared pending set (a stopped process does not act on it). */
function hasPendingSigterm(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const pending = /^ShdPnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return pending !== undefined && (BigInt(`0x${pending}`) & (1n << BigInt(constants.signals.SIGTERM - 1))) !== 0n;
}

describe.runIf(process.platform === 'linux')('a stop while serve starts', () => {
  // The start takes a while when an earlier run's server has to be stopped first: this one, frozen, ignores the
  // SIGTERM until backend.stopTimeoutS ends in a SIGKILL. A signal meanwhile used to end serve by its default action.
  it.each(['once', 'twice'] as const)('SIGTERM %s while it stops a leftover server: nothing is left', async (times) => {
    host = await createSimHost([{ id: 'big', shards: 30 }], { timeScale: 0.05 });
    host.catalogInput.backend = { ...host.catalogInput.backend, stopTimeoutS: 3 };
    const config = await writeHostCatalog(host);
    const first = await startServe(host, config);
    serve = first;
    await first.post('/api/models/big/switch', {});
    const loading = await waitFor(async () => {
      const slot = (await first.state()).slots[0]!;
      return slot.progress?.phase === 'weights' && slot.pid ? slot : null;
    }, 'the weights phase');
    await killServe(first);
    freeze(loading.pid!);

    const s = spawnServe(host, config);
    serve = s;
    await waitFor(() => hasPendingSigterm(loading.pid!), 'serve to stop the leftover (SIGTERM pending on it)');
    process.kill(-s.child.pid!, 'SIGTERM');
    if (times === 'once') {
      expect(await s.exited, s.output()).toEqual({ code: 0, signal: null });
      expect(s.output()).toMatch(/SIGTERM while starting: stopping once the engine has started/);
      expect(s.output()).toMatch(/switchboard: stopping the backend/);
    } else {
      await waitFor(() => s.output().includes('SIGTERM while starting'), 'serve to take the first SIGTERM');
      process.kill(-s.child.pid!, 'SIGTERM');
      expect((await s.exited).code, s.output()).toBe(143);
      expect(s.output()).toMatch(/SIGTERM again: killed 1 SGLang server group/);
      await waitFor(async () => (await liveLaunches(host!)).length === 0, 'the SIGKILLed leftover to end', 10_000);
    }
    serve = undefined;
    expect(await liveLaunches(host)).toEqual([]);
  });
});
