import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { defaultConfigPath } from '../engine/catalog/default-config-path.js';

/** Where a client command finds the engine. */
export interface EngineConnection {
  url: string;
  apiKey?: string;
}

/** The options every client command takes: where the engine is and how to authenticate. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  config: { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Usage lines for CONNECTION_OPTIONS, appended to each client command's usage. */
export const CONNECTION_USAGE = `
  --url URL        the engine's address (default: http://<router.host>:<router.port> from the config)
  --config FILE    catalog to read router.host, port and apiKeys from
                   (default: $XDG_CONFIG_HOME/sglang-switchboard/switchboard.yaml)
  --api-key KEY    bearer key (default: $SWITCHBOARD_API_KEY, else the config's first router.apiKeys entry)`;

interface ConnectionFlags {
  url?: string;
  config?: string;
  'api-key'?: string;
}

interface RouterSection {
  host: string;
  port: number;
  apiKeys: string[];
}

const DEFAULT_ROUTER: RouterSection = { host: '127.0.0.1', port: 8002, apiKeys: [] };

/**
 * --url, else the catalog's router host:port. Only the `router` section is read, loosely, so the
 * CLI still reaches the engine when the catalog's models have errors. A missing default config
 * means the defaults (127.0.0.1:8002); a missing --config file is an error.
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<EngineConnection> {
  const needsConfig = flags.url === undefined || (flags['api-key'] === undefined && !env.SWITCHBOARD_API_KEY);
  const router = needsConfig ? await readRouterSection(flags.config) : DEFAULT_ROUTER;
  const url = flags.url?.replace(/\/+$/, '') ?? `http://${formatHost(router.host)}:${router.port}`;
  const apiKey = flags['api-key'] ?? (env.SWITCHBOARD_API_KEY || undefined) ?? router.apiKeys[0];
  return { url, ...(apiKey ? { apiKey } : {}) };
}

async function readRouterSection(explicitPath: string | undefined): Promise<RouterSection> {
  const path = explicitPath ?? defaultConfigPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (explicitPath === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_ROUTER;
    throw new Error(`cannot read the config ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`cannot parse the config ${path}: ${(err as Error).message} (use --url to skip it)`);
  }
  const router = (doc as { router?: Record<string, unknown> } | null)?.router ?? {};
  return {
    host: typeof router.host === 'string' && router.host !== '' ? router.host : DEFAULT_ROUTER.host,
    port: Number.isInteger(router.port) ? (router.port as number) : DEFAULT_ROUTER.port,
    apiKeys: Array.isArray(router.apiKeys) ? router.apiKeys.filter((k): k is string => typeof k === 'string') : [],
  };
}

/** A wildcard bind address is reached through loopback; IPv6 literals need brackets in a URL. */
function formatHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
