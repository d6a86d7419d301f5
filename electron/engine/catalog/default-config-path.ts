import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const APP_DIR = 'sglang-switchboard';
const CATALOG_FILE = 'switchboard.yaml';

type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/sglang-switchboard/switchboard.yaml`, else `~/.config/sglang-switchboard/switchboard.yaml`. */
export function defaultConfigPath(env: Env = process.env): string {
  return join(xdgBase(env, 'XDG_CONFIG_HOME', ['.config']), APP_DIR, CATALOG_FILE);
}

/** `$XDG_STATE_HOME/sglang-switchboard`, else `~/.local/state/sglang-switchboard` (load history lives here). */
export function defaultStateDir(env: Env = process.env): string {
  return join(xdgBase(env, 'XDG_STATE_HOME', ['.local', 'state']), APP_DIR);
}

function xdgBase(env: Env, name: string, fallback: string[]): string {
  const value = env[name];
  // The XDG spec says relative values are invalid and must be ignored.
  if (value && isAbsolute(value)) return value;
  return join(env.HOME || homedir(), ...fallback);
}
