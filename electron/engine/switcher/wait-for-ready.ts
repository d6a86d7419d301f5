import type { Failure } from '../../../shared/failure.js';
import type { LoadPhase } from '../../../shared/load-phase.js';
import type { BackendExit, BackendInstance } from '../backends/process-backend.js';
import { probeHealth } from '../backends/probe-health.js';
import { diagnoseFailure } from '../logs/diagnose-failure.js';
import type { LoadWatch } from './load-watch.js';

/** After SGLang logs a fatal line it SIGKILLs itself within moments; wait this long for the exit before stopping it. */
const FATAL_EXIT_GRACE_MS = 5_000;
const PROBE_TIMEOUT_MS = 5_000;

export type ReadyOutcome = { kind: 'ready' } | { kind: 'failed'; failure: Failure } | { kind: 'aborted' };

export interface WaitForReadyInput {
  host: string;
  port: number;
  instance: BackendInstance;
  watch: LoadWatch;
  /** Resolves when the caller abandons the load (stop). */
  aborted: Promise<void>;
  timeoutMs: number;
  /** How long the load may show no progress in a phase (null: no limit in that phase). */
  stallLimitMs(phase: LoadPhase): number | null;
  probeIntervalMs: number;
  now: () => number;
}

/**
 * Polls `/health` until 200 while watching the process and its log: an exit, a fatal log line
 * (port busy at once; others after a short grace for SGLang's own tree kill), no progress for longer
 * than the phase's stall limit (`stuck`), or the ready timeout ends the wait with a diagnosed failure. The ready log line only triggers an immediate probe;
 * `/health` 200 is the authority.
 */
export async function waitForReady(input: WaitForReadyInput): Promise<ReadyOutcome> {
  const { watch, now } = input;
  const startedAtMs = now();
  let exit: BackendExit | undefined;
  let aborted = false;
  let wake: () => void = () => undefined;
  void input.instance.exited.then((e) => {
    exit = e;
    wake();
  });
  void input.aborted.then(() => {
    aborted = true;
    wake();
  });
  let fatalSinceMs: number | undefined;

  const fail = (extra: { timedOut?: boolean; stalledMs?: number } = {}): ReadyOutcome => {
    watch.flush();
    return {
      kind: 'failed',
      failure: diagnoseFailure({
        failures: watch.failures,
        phase: watch.progress.phase,
        exitCode: exit?.code ?? null,
        exitSignal: exit?.signal ?? null,
        lastLines: watch.lastLines(),
        port: input.port,
        timedOut: extra.timedOut,
        stalledMs: extra.stalledMs,
        now: now(),
      }),
    };
  };

  for (;;) {
    if (aborted) return { kind: 'aborted' };
    if (exit) return fail();
    if (watch.failures.some((f) => f.cause === 'port_busy')) return fail();
    if (watch.failures.length > 0) fatalSinceMs ??= now();
    if (fatalSinceMs !== undefined && now() - fatalSinceMs > FATAL_EXIT_GRACE_MS) return fail();
    if (now() - startedAtMs > input.timeoutMs) return fail({ timedOut: true });
    const stalledMs = now() - watch.lastProgressAtMs;
    const stallLimit = input.stallLimitMs(watch.progress.phase);
    if (stallLimit !== null && stalledMs > stallLimit) return fail({ stalledMs });

    const probe = await probeHealth(input.host, input.port, PROBE_TIMEOUT_MS);
    if (probe === 'ready' && !exit && !aborted) return { kind: 'ready' };

    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, watch.readyLineSeen ? Math.min(50, input.probeIntervalMs) : input.probeIntervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = () => undefined;
  }
}
