// A real systemd for tests: boots `test/support/systemd-sandbox` (PID 1 of its own PID + mount
// namespaces, private /tmp, /var/tmp and /run, volatile journal) with its own state folder, so
// test files never share or stop each other's sandbox. The test process stays outside; systemctl
// and journalctl reach the sandbox through a command prefix, files through /proc/<pid>/root.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The sandbox script (a copy of the team's tool, so the project does not depend on ../shared). */
export const SANDBOX_SCRIPT = fileURLToPath(new URL('./systemd-sandbox', import.meta.url));

/**
 * The checkout, kept visible inside the sandbox: its private /tmp would hide a clone that lives
 * there (as CI's may), and units run the simulator and the helper from it.
 */
export const SANDBOX_KEEP = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Whether a sandbox can boot here, and if not, why. */
export function sandboxAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root: the systemd sandbox needs root (unshare, nsenter, a real systemd as PID 1 of its namespace)' };
  if (!existsSync('/lib/systemd/systemd')) return { ok: false, reason: 'no /lib/systemd/systemd (apt-get install -y systemd)' };
  for (const tool of ['/usr/bin/unshare', '/usr/bin/nsenter']) {
    if (!existsSync(tool)) return { ok: false, reason: `no ${tool} (util-linux)` };
  }
  return { ok: true };
}

/** True when the suite must skip; says why on the console (call at module level, use with describe.skipIf). */
export function skipWithoutSandbox(suite: string): boolean {
  const available = sandboxAvailable();
  if (!available.ok) console.warn(`[${suite}] skipped: ${available.reason}`);
  return !available.ok;
}

export interface SystemdSandbox {
  /** The sandbox's PID 1 as seen from the test process. */
  readonly pid: number;
  /** `cmd` run inside the sandbox: the prefix for systemctl, journalctl or a whole process. */
  command(...cmd: string[]): string[];
  readonly systemctlCommand: string[];
  readonly journalctlCommand: string[];
  /** A path inside the sandbox (e.g. `/run/systemd/system`) as the test process reaches it. */
  hostPath(insidePath: string): string;
  /** Runs a command inside; rejects with its stderr when it fails. */
  exec(cmd: string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  /** Writes a runtime unit file into the sandbox's /run/systemd/system. */
  writeUnit(unit: string, text: string): Promise<void>;
  /** Kills the sandbox and everything in it. */
  stop(): Promise<void>;
}

/** Boots a fresh sandbox with its own state folder. */
export async function startSandbox(): Promise<SystemdSandbox> {
  const stateDir = await mkdtemp('/var/tmp/switchboard-sandbox-');
  const env = { ...process.env, SYSTEMD_SANDBOX_STATE: stateDir, SYSTEMD_SANDBOX_KEEP: SANDBOX_KEEP };
  const { stdout } = await execFileAsync(SANDBOX_SCRIPT, ['start'], { env });
  const pid = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`systemd-sandbox start printed ${JSON.stringify(stdout)}`);
  const prefix = ['env', `SYSTEMD_SANDBOX_STATE=${stateDir}`, SANDBOX_SCRIPT, 'exec'];
  const command = (...cmd: string[]) => [...prefix, ...cmd];
  const hostPath = (insidePath: string) => join(`/proc/${pid}/root`, insidePath);
  return {
    pid,
    command,
    systemctlCommand: command('systemctl'),
    journalctlCommand: command('journalctl'),
    hostPath,
    async exec(cmd, extraEnv = {}) {
      const [file, ...args] = command(...cmd);
      return execFileAsync(file!, args, { env: { ...process.env, ...extraEnv }, encoding: 'utf8' });
    },
    async writeUnit(unit, text) {
      await writeFile(hostPath(join('/run/systemd/system', unit)), text);
    },
    async stop() {
      await execFileAsync(SANDBOX_SCRIPT, ['stop'], { env });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A temporary folder that the test process and the sandbox's units both see (its /tmp is private). */
export function makeSharedTempDir(prefix: string): Promise<string> {
  return mkdtemp(join('/var/lib', prefix));
}

/** A unit name no other test (or sandbox sharing the cgroup tree) uses. */
export function uniqueUnitName(stem: string): string {
  return `${stem}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.service`;
}

/** Where root's user manager keeps its runtime files inside the sandbox; `systemctl --user` needs it. */
export const ROOT_RUNTIME_DIR = '/run/user/0';

/**
 * Starts root's user manager (user@0.service) in the sandbox, or says why it cannot. The sandbox has
 * no D-Bus and no logind, so two runtime drop-ins stand in for them: user-runtime-dir@0 just creates
 * /run/user/0, and user@0 gets the XDG_RUNTIME_DIR that pam_systemd would have set.
 */
export async function startRootUserManager(sandbox: SystemdSandbox): Promise<{ ok: true } | { ok: false; reason: string }> {
  const units = sandbox.hostPath('/run/systemd/system');
  await mkdir(join(units, 'user-runtime-dir@0.service.d'), { recursive: true });
  await writeFile(join(units, 'user-runtime-dir@0.service.d', '50-sandbox.conf'), `[Service]\nExecStart=\nExecStart=/bin/mkdir -p -m 0700 ${ROOT_RUNTIME_DIR}\nExecStop=\n`);
  await mkdir(join(units, 'user@0.service.d'), { recursive: true });
  await writeFile(join(units, 'user@0.service.d', '50-sandbox.conf'), `[Service]\nEnvironment=XDG_RUNTIME_DIR=${ROOT_RUNTIME_DIR}\n`);
  try {
    await sandbox.exec(['systemctl', 'daemon-reload']);
    await sandbox.exec(['systemctl', 'start', 'user@0.service']);
    const { stdout } = await sandbox.exec(['systemctl', '--user', 'is-system-running'], { XDG_RUNTIME_DIR: ROOT_RUNTIME_DIR }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    if (!/running|degraded/.test(stdout)) return { ok: false, reason: `user manager state: ${stdout.trim() || 'unknown'}` };
    return { ok: true };
  } catch (err) {
    const { stdout: journal } = await sandbox.exec(['journalctl', '-u', 'user@0.service', '-u', 'user-runtime-dir@0.service', '-n', '10', '--no-pager']).catch(() => ({ stdout: '' }));
    return { ok: false, reason: `systemctl start user@0.service failed: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}\n${journal}` };
  }
}
