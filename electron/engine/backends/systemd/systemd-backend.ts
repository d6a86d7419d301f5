import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { BackendExit, BackendInstance, BackendLaunch, BackendOutputListener, ProcessBackend } from '../process-backend.js';
import { JournalTail } from './journal-tail.js';
import type { SystemdScope } from '../../../system/systemd/systemctl.js';
import type { UnitControl, UnitState } from '../../../system/systemd/unit-control.js';

/** A safety net: the journal's end message wakes the watcher at once (when the journal is readable). */
const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** States in which the invocation's processes may still run. */
const LIVE_STATES = new Set(['active', 'activating', 'reloading', 'deactivating']);

export interface SystemdBackendOptions {
  control: UnitControl;
  scope: SystemdScope;
  /** The command to run instead of `journalctl` (tests: a sandbox prefix). */
  journalctlCommand?: readonly string[];
  /** journalctl cannot show the unit's log (not installed, exits at once): the message; null once it does again. */
  onJournalProblem?: (unit: string, message: string | null) => void;
  /** How often the unit's state is read while an invocation runs (default 1 s; systemd's end message in the journal triggers a read at once). */
  pollIntervalMs?: number;
}

/** One invocation of the unit: what the switcher holds as a running instance. */
class UnitInstance implements BackendInstance {
  constructor(
    readonly invocationId: string,
    readonly pid: number | undefined,
    readonly exited: Promise<BackendExit>,
  ) {}
}

/**
 * Runs SGLang as a systemd unit: selects the model through the unit control (a drop-in written on
 * the privileged side from the catalog, never an argv from here), restarts the unit and follows
 * that invocation's journal. The instance ends with the invocation: when the unit leaves its live
 * states, gets a new invocation, or systemd restarts it; a unit systemd brings back on its own
 * (`Restart=always` would loop on an OOM) is stopped, since only the switcher starts models.
 */
export class SystemdBackend implements ProcessBackend {
  private current: UnitInstance | undefined;

  constructor(private readonly options: SystemdBackendOptions) {}

  async start(launch: BackendLaunch, onOutput: BackendOutputListener): Promise<BackendInstance> {
    const { control } = this.options;
    await control.selectModel(launch.modelId);
    // A failed unit (crash, start-limit-hit) must be cleared to start again; reset-failed refuses a unit systemd has not loaded.
    if ((await control.show()).activeState === 'failed') await control.resetFailed();
    await control.restart();
    const state = await control.show();
    // systemd unloads a unit that ended cleanly, invocation id and exit status included.
    if (!state.invocationId) {
      throw new Error(`${control.unit} ended at once (${state.activeState || 'unloaded'}/${state.subState || '-'}); see journalctl -u ${control.unit}`);
    }
    const waker = new Waker();
    const tail = new JournalTail({
      unit: control.unit,
      scope: this.options.scope,
      invocationId: state.invocationId,
      command: this.options.journalctlCommand,
      onOutput: (chunk) => onOutput('stdout', chunk),
      onNotice: (line) => onOutput('stderr', `journalctl: ${line}\r\n`),
      onProblem: (message) => this.options.onJournalProblem?.(control.unit, message),
      onEnd: () => waker.wake(),
    });
    tail.start();
    const instance = new UnitInstance(state.invocationId, state.mainPid || undefined, this.watchInvocation(state, tail, waker));
    this.current = instance;
    return instance;
  }

  /**
   * Stops the unit (systemd sends SIGTERM, waits TimeoutStopSec, then SIGKILLs the control group:
   * the unit's TimeoutStopSec rules, not `_timeoutMs`) and resolves once the invocation is over and
   * its last journal lines were passed on.
   */
  async stop(instance: BackendInstance, _timeoutMs: number): Promise<BackendExit> {
    if (!(instance instanceof UnitInstance)) throw new Error('not an instance of this systemd backend');
    // Also when the instance already ended: systemd may have restarted the unit since (Restart=).
    if (instance === this.current) await this.options.control.stop();
    return instance.exited;
  }

  /** True for a process of the unit's control group (the unit was already running; restart replaces it). */
  ownsProcess(pid: number): boolean {
    try {
      return isInUnitCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), this.options.control.unit);
    } catch {
      return false;
    }
  }

  /** Polls the unit until the invocation `first` describes has ended, then drains its journal. */
  private async watchInvocation(first: UnitState, tail: JournalTail, waker: Waker): Promise<BackendExit> {
    const intervalMs = this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    for (;;) {
      await waker.sleep(intervalMs);
      // A failed read (helper restarting, systemctl busy) is retried at the next tick.
      const state = await this.options.control.show().catch(() => undefined);
      if (!state || !hasInvocationEnded(first, state)) continue;
      // The switcher decides when a model starts again; a unit systemd brings back on its own
      // (Restart=) would hold the port behind the switcher's back, or loop on an OOM.
      if (isRestartedBySystemd(first, state) && this.current?.invocationId === first.invocationId) {
        await this.options.control.stop().catch(() => undefined);
      }
      await tail.drain().catch(() => undefined);
      return exitOf(state);
    }
  }
}

/** A sleep that ends early when woken (a wake with no sleeper ends the next sleep at once). */
class Waker {
  private pending = false;
  private resolve: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(), ms);
      timer.unref();
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  wake(): void {
    if (this.resolve) this.finish();
    else this.pending = true;
  }

  private finish(): void {
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}

/** True once the invocation of `first` is over as `now` tells it. */
export function hasInvocationEnded(first: UnitState, now: UnitState): boolean {
  if (now.invocationId !== first.invocationId) return true;
  if (now.nRestarts > first.nRestarts) return true;
  // 'activating/auto-restart': the process is gone and systemd waits RestartSec to start another.
  if (now.subState === 'auto-restart') return true;
  return !LIVE_STATES.has(now.activeState);
}

/** True when systemd itself is restarting the unit (Restart=): waiting RestartSec, or already running again. */
export function isRestartedBySystemd(first: UnitState, now: UnitState): boolean {
  if (now.subState === 'auto-restart') return true;
  const again = now.nRestarts > first.nRestarts || (now.invocationId !== '' && now.invocationId !== first.invocationId);
  return again && LIVE_STATES.has(now.activeState);
}

/**
 * The main process's end as ExecMainCode/ExecMainStatus describe it ('killed' → the signal's name).
 * Best effort: systemd forgets both when it unloads a unit that ended clean, and the drop-in makes
 * SGLang's self-SIGKILL a clean end (`SuccessExitStatus=SIGKILL`, shared/systemd-drop-in.ts), so a
 * crash can end with neither code nor signal. No diagnosis reads the unit's `failed` state (start()
 * only clears it): the invocation's end is the exit, and the journal lines give the cause.
 */
export function exitOf(state: UnitState): BackendExit {
  if (state.execMainCode === 'exited') return { code: state.execMainStatus, signal: null };
  if (state.execMainCode === 'killed' || state.execMainCode === 'dumped') return { code: null, signal: signalName(state.execMainStatus) };
  return { code: null, signal: null };
}

function signalName(signo: number): NodeJS.Signals | null {
  const entry = Object.entries(constants.signals).find(([, n]) => n === signo);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/** True when a `/proc/PID/cgroup` text places the process in `unit` (system or user manager, cgroup v1 or v2). */
export function isInUnitCgroup(cgroupText: string, unit: string): boolean {
  return cgroupText.split('\n').some((line) =>
    line
      .slice(line.indexOf(':', line.indexOf(':') + 1) + 1)
      .split('/')
      .includes(unit),
  );
}
