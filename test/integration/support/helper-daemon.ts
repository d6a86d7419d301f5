import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SANDBOX_KEEP } from '../../support/systemd-sandbox.js';
import { promisify } from 'node:util';
import { waitFor } from './sim-host.js';

const run = promisify(execFile);

/** The helper's launcher: runs the compiled helper, out/node/switchboard-helper.js (built by vitest's global setup). */
export const HELPER_BIN = fileURLToPath(new URL('../../../bin/switchboard-helper.js', import.meta.url));
/** The systemd sandbox script (a real systemd in its own namespaces). */
export const SANDBOX_BIN = fileURLToPath(new URL('../../support/systemd-sandbox', import.meta.url));

// One sandbox per test process, with the checkout visible inside (the daemons started here inherit
// both variables, so their `systemd-sandbox exec systemctl` reaches the same sandbox).
process.env.SYSTEMD_SANDBOX_STATE ??= `/var/tmp/switchboard-helper-sandbox-${process.pid}`;
process.env.SYSTEMD_SANDBOX_KEEP ??= SANDBOX_KEEP;

/** A helper daemon running as a child process in its own process group. */
export interface HelperDaemon {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  /** Resolves to the exit code once the daemon has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the whole process group, then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** Starts `switchboard-helper ARGS` (`env` added to ours); resolves once it says it serves (or rejects with its stderr when it exits first). */
export async function startHelperDaemon(args: string[], opts: { expectServing?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<HelperDaemon> {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const child = spawn(process.execPath, [HELPER_BIN, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const daemon: HelperDaemon = {
    child,
    pid: child.pid!,
    stderr: () => stderr,
    exited,
    async stop() {
      if (done) return;
      killGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  if (opts.expectServing === false) return daemon;
  await waitFor(() => done || stderr.includes(': serving '), 'the helper to serve', 20_000);
  if (done) throw new Error(`the helper exited: ${stderr}`);
  return daemon;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sends `payload` on a fresh connection and resolves to the answer lines (parsed), until `lines` arrived or the helper closed. */
export function exchange(socketPath: string, payload: string | Buffer, lines = 1): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    const finish = () => {
      socket.destroy();
      resolve(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
    };
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => {
      text += d;
      if (text.split('\n').filter(Boolean).length >= lines) finish();
    });
    socket.on('end', finish);
    // The helper closes a connection after too_large; unread bytes make our end see ECONNRESET after its answer.
    socket.on('error', (err) => (text ? finish() : reject(err)));
  });
}

/** One request line. */
export const requestLine = (id: number, op: string, fields: Record<string, unknown> = {}): string => `${JSON.stringify({ v: 1, id, op, ...fields })}\n`;

/** Tries to connect and send `line` as another user, in a separate process; resolves to what happened. */
export async function connectAs(socketPath: string, ids: { uid: number; gid: number }, line: string): Promise<{ error?: string; response?: any; pid?: number }> {
  const script = `
    const s = require('node:net').connect(process.argv[1]);
    let text = '';
    s.on('connect', () => s.write(process.argv[2]));
    s.on('data', (d) => { text += d; if (text.includes('\\n')) { console.log(JSON.stringify({ response: JSON.parse(text), pid: process.pid })); s.destroy(); } });
    s.on('error', (e) => console.log(JSON.stringify({ error: e.code, pid: process.pid })));`;
  const { stdout } = await run(process.execPath, ['-e', script, socketPath, line], { uid: ids.uid, gid: ids.gid, cwd: '/', timeout: 10_000 });
  return JSON.parse(stdout);
}

const TSX_ESM_API = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const ENGINE_CLIENT = new URL('../../../electron/helper/helper-client.ts', import.meta.url).href;

/**
 * `node ...ENGINE_CLIENT_ARGS <socket> <body JSON>` sends one request through the engine's own client
 * (`helperRequest` of helper-client.ts, a module rather than a program, so its TypeScript runs through
 * tsx, a devDependency) and prints `{ ok, result | code, message, pid }`:
 * a real engine-side call from a process of its own (run it with `uid`/`gid` to be another user).
 */
export const ENGINE_CLIENT_ARGS = [
  '--input-type=module',
  '-e',
  `const [tsxApi, client, socketPath, body] = process.argv.slice(1);
  (await import(tsxApi)).register();
  const { helperRequest } = await import(client);
  try {
    console.log(JSON.stringify({ ok: true, result: await helperRequest(socketPath, JSON.parse(body), { timeoutMs: 30000 }), pid: process.pid }));
  } catch (err) {
    console.log(JSON.stringify({ ok: false, code: err.code, message: err.message, pid: process.pid }));
  }`,
  TSX_ESM_API,
  ENGINE_CLIENT,
];

/** A temporary system group (root only); `remove` deletes it. */
export async function createTempGroup(): Promise<{ name: string; gid: number; remove(): Promise<void> }> {
  const name = `sbh-test-${randomBytes(4).toString('hex')}`;
  await run('groupadd', ['--system', name]);
  const { stdout } = await run('getent', ['group', name]);
  return { name, gid: Number(stdout.split(':')[2]), remove: () => run('groupdel', [name]).then(() => undefined) };
}

/** PID 1 of the systemd sandbox as seen from here (starting it if needed), or the reason it is unavailable. */
export async function systemdSandbox(): Promise<{ pid: number } | { reason: string }> {
  if (process.getuid?.() !== 0) return { reason: 'not root' };
  if (process.env.SWITCHBOARD_TEST_NO_SANDBOX) return { reason: 'SWITCHBOARD_TEST_NO_SANDBOX is set' };
  if (!existsSync('/lib/systemd/systemd')) return { reason: 'no /lib/systemd/systemd' };
  try {
    const { stdout } = await run(SANDBOX_BIN, ['start'], { timeout: 60_000 });
    return { pid: Number(stdout.trim().split('\n').pop()) };
  } catch (err) {
    return { reason: `systemd-sandbox start failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Stops this test process's sandbox (and everything in it). */
export async function stopSystemdSandbox(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync(process.env.SYSTEMD_SANDBOX_STATE!)) return;
  await run(SANDBOX_BIN, ['stop'], { timeout: 60_000 }).catch(() => undefined);
  await rm(process.env.SYSTEMD_SANDBOX_STATE!, { recursive: true, force: true });
}

/** Runs a command inside the sandbox. */
export async function inSandbox(...command: string[]): Promise<string> {
  return (await run(SANDBOX_BIN, ['exec', ...command], { timeout: 60_000 })).stdout;
}
