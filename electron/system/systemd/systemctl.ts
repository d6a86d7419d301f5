import { execFile } from 'node:child_process';
import type { UnitState } from './unit-control.js';

/** `system` talks to PID 1's manager, `user` to the calling user's (`systemctl --user`). */
export type SystemdScope = 'system' | 'user';

/** The properties `show` reads, in `systemctl show -p` order. */
const SHOW_PROPERTIES = ['ActiveState', 'SubState', 'MainPID', 'ExecMainStatus', 'ExecMainCode', 'NRestarts', 'InvocationID', 'Result'];

/** systemd prints ExecMainCode as the siginfo si_code number (CLD_EXITED, CLD_KILLED, CLD_DUMPED). */
const EXEC_MAIN_CODES: Record<string, string> = { '1': 'exited', '2': 'killed', '3': 'dumped' };

/**
 * Unit names systemd accepts (`name.service`, a template `name@.service`, an instance
 * `name@inst.service`: one `@` at most, after a non-empty prefix), without a leading '-' that
 * systemctl would read as an option.
 */
const UNIT_NAME = /^[A-Za-z0-9:_.\\][A-Za-z0-9:_.\\-]*(@[A-Za-z0-9:_.\\-]*)?\.(service|socket|target|timer|scope|slice)$/;

/** A systemctl call that failed; the message carries systemctl's own stderr. */
export class SystemctlError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`systemctl ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'SystemctlError';
  }
}

export interface SystemctlOptions {
  scope: SystemdScope;
  /** The command to run instead of `systemctl`, e.g. `['systemd-sandbox', 'exec', 'systemctl']` in tests. */
  command?: readonly string[];
}

/** The one place that runs `systemctl` (through execFile, never a shell). */
export class Systemctl {
  private readonly command: readonly string[];

  constructor(private readonly options: SystemctlOptions) {
    this.command = options.command ?? ['systemctl'];
  }

  /** The unit's state from `systemctl show -p …` (key=value lines). */
  async show(unit: string): Promise<UnitState> {
    const stdout = await this.run(['show', checkUnitName(unit), '-p', SHOW_PROPERTIES.join(',')]);
    return parseUnitShow(stdout);
  }

  async daemonReload(): Promise<void> {
    await this.run(['daemon-reload']);
  }

  /** Blocks until the start job finished (for Type=simple: the process was forked and exec'd). */
  async start(unit: string): Promise<void> {
    await this.run(['start', checkUnitName(unit)]);
  }

  /** Blocks until the unit stopped: SIGTERM, TimeoutStopSec, then SIGKILL of its control group. */
  async stop(unit: string): Promise<void> {
    await this.run(['stop', checkUnitName(unit)]);
  }

  async restart(unit: string): Promise<void> {
    await this.run(['restart', checkUnitName(unit)]);
  }

  /** Clears the failed state and the start rate limit, so a unit that crashed can start again. */
  async resetFailed(unit: string): Promise<void> {
    await this.run(['reset-failed', checkUnitName(unit)]);
  }

  private run(args: string[]): Promise<string> {
    const full = [...(this.options.scope === 'user' ? ['--user'] : []), ...args];
    const [file, ...prefix] = this.command;
    return new Promise((resolve, reject) => {
      execFile(file!, [...prefix, ...full], { encoding: 'utf8', maxBuffer: 1024 * 1024, env: { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' } }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : null;
        reject(code === null && !stderr ? err : new SystemctlError(full, code, stderr || err.message));
      });
    });
  }
}

/** True for a unit name this module will pass to systemctl. */
export function isValidUnitName(unit: string): boolean {
  return UNIT_NAME.test(unit) && unit.length <= 256;
}

function checkUnitName(unit: string): string {
  if (!isValidUnitName(unit)) throw new Error(`invalid unit name "${unit}"`);
  return unit;
}

/** Parses `systemctl show` key=value output; missing or unreadable properties get neutral values. */
export function parseUnitShow(text: string): UnitState {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const num = (key: string): number => {
    const value = Number.parseInt(props.get(key) ?? '', 10);
    return Number.isFinite(value) ? value : 0;
  };
  const code = props.get('ExecMainCode') ?? '';
  return {
    activeState: props.get('ActiveState') ?? '',
    subState: props.get('SubState') ?? '',
    mainPid: num('MainPID'),
    execMainStatus: num('ExecMainStatus'),
    execMainCode: EXEC_MAIN_CODES[code] ?? (/^\d+$/.test(code) ? '' : code),
    nRestarts: num('NRestarts'),
    invocationId: props.get('InvocationID') ?? '',
    result: props.get('Result') ?? '',
  };
}
