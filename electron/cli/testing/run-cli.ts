import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/switchboard.js', import.meta.url));
/** An empty config and state home, so no real switchboard.yaml or admin token of the machine leaks into the tests. */
const CONFIG_HOME = mkdtempSync(join(tmpdir(), 'switchboard-cli-test-'));
const STATE_HOME = mkdtempSync(join(tmpdir(), 'switchboard-cli-state-'));

/** A `switchboard` child process with its output collected as it arrives (test support). */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: CONFIG_HOME, XDG_STATE_HOME: STATE_HOME, ...env };
  if (!('SWITCHBOARD_ADMIN_KEY' in env)) delete cleanEnv.SWITCHBOARD_ADMIN_KEY;
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs `switchboard ARGS` to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnCli(args, env);
  const code = await cli.exit;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
