import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { readAdminToken } from '../engine/api/access/admin-token.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';

/** Where a client command finds the engine. */
export interface EngineConnection {
  url: string;
  /**
   * The admin key to send. Without one the client asks the engine's /api/session, which hands a
   * loopback client of the engine's own user its admin token.
   */
  adminKey?: string;
  /** The key came from --admin-key, the environment or the catalog: a 401 is final (a token file's key may be stale). */
  adminKeyIsExplicit?: boolean;
}

/** The options every client command takes: where the engine is and how to authenticate. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  config: { type: 'string' },
  'admin-key': { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Usage lines for CONNECTION_OPTIONS, appended to each client command's usage. */
export const CONNECTION_USAGE = `
  --url URL         the engine's address (default: http://<router.host>:<router.port> from the config)
  --config FILE     catalog to read router.host, port and adminKeys from
                    (default: $XDG_CONFIG_HOME/sglang-switchboard/switchboard.yaml)
  --admin-key KEY   admin key (default: $SWITCHBOARD_ADMIN_KEY, else the config's first router.adminKeys
                    entry, else the engine's admin token: <state dir>/admin-token, or asked from the
                    engine when it runs as this user on this machine)
  --state-dir DIR   where the engine keeps its admin token (default: $XDG_STATE_HOME/sglang-switchboard)`;

/** The parsed CONNECTION_OPTIONS. */
export interface ConnectionFlags {
  url?: string;
  config?: string;
  'admin-key'?: string;
  'state-dir'?: string;
}

interface RouterSection {
  host: string;
  port: number;
  adminKeys: string[];
}

const DEFAULT_ROUTER: RouterSection = { host: '127.0.0.1', port: 8002, adminKeys: [] };

/**
 * --url, else the catalog's router host:port. Only the `router` section is read, loosely, so the
 * CLI still reaches the engine when the catalog's models have errors. A missing default config
 * means the defaults (127.0.0.1:8002); a missing --config file is an error. The admin key: --admin-key,
 * $SWITCHBOARD_ADMIN_KEY, router.adminKeys[0], then the admin token file in the state dir.
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<EngineConnection> {
  const explicitKey = flags['admin-key'] ?? (env.SWITCHBOARD_ADMIN_KEY || undefined);
  const router = flags.url === undefined || explicitKey === undefined ? await readRouterSection(flags.config, env) : DEFAULT_ROUTER;
  const url = flags.url?.replace(/\/+$/, '') ?? `http://${formatHost(router.host)}:${router.port}`;
  const chosen = explicitKey ?? router.adminKeys[0];
  if (chosen) return { url, adminKey: chosen, adminKeyIsExplicit: true };
  const fromFile = await readAdminToken(flags['state-dir'] ?? defaultStateDir(env));
  return { url, ...(fromFile ? { adminKey: fromFile } : {}) };
}

async function readRouterSection(explicitPath: string | undefined, env: NodeJS.ProcessEnv): Promise<RouterSection> {
  const path = explicitPath ?? defaultConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (explicitPath === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_ROUTER;
    throw new Error(`cannot read the config ${path}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`cannot parse the config ${path}: ${(err as Error).message} (use --url to skip it)`, { cause: err });
  }
  const router = (doc as { router?: Record<string, unknown> } | null)?.router ?? {};
  return {
    host: typeof router.host === 'string' && router.host !== '' ? router.host : DEFAULT_ROUTER.host,
    port: Number.isInteger(router.port) ? (router.port as number) : DEFAULT_ROUTER.port,
    adminKeys: Array.isArray(router.adminKeys) ? router.adminKeys.filter((k): k is string => typeof k === 'string') : [],
  };
}

/** A wildcard bind address is reached through loopback; IPv6 literals need brackets in a URL. */
function formatHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
