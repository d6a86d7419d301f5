import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startHttpServer } from '../engine/api/start-http-server.js';
import { defaultConfigPath, defaultStateDir } from '../engine/catalog/default-config-path.js';
import { formatCatalogIssues, loadCatalogFile } from '../engine/catalog/load-catalog.js';
import { createEngine } from '../engine/engine.js';
import { createEngineHttpHandler } from '../engine/engine-http-handler.js';

/** The engine the window talks to: hosted in this process, or a `switchboard serve` found running. */
export interface EngineHost {
  url: string;
  attached: boolean;
  close(): Promise<void>;
}

/**
 * Attaches to an engine already answering on the catalog's router port, or hosts one in-process.
 * No electron import here: this is plain Node, testable without the Electron binary.
 */
export async function startEngineHost(argv: string[]): Promise<EngineHost> {
  const { values } = parseArgs({ args: argv.slice(1), options: { config: { type: 'string' } }, strict: false });
  const configPath = typeof values.config === 'string' ? values.config : defaultConfigPath();
  const loaded = await loadCatalogFile(configPath);
  if (!loaded.ok) throw new Error(formatCatalogIssues(configPath, loaded.issues));
  const { host, port, apiKeys } = loaded.catalog.router;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (await isEngineAnswering(url, apiKeys[0])) return { url, attached: true, close: async () => undefined };
  const engine = await createEngine({ catalog: loaded.catalog, configPath, stateDir: defaultStateDir() });
  const server = await startHttpServer({ host, port, handler: createEngineHttpHandler(engine) });
  return {
    url: server.url,
    attached: false,
    close: async () => {
      await engine.close();
      await server.close();
    },
  };
}

async function isEngineAnswering(url: string, apiKey: string | undefined): Promise<boolean> {
  try {
    const res = await request(`${url}/api/state`, { headersTimeout: 1000, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
    const body = (await res.body.json()) as { version?: unknown };
    return res.statusCode === 200 && typeof body.version === 'string';
  } catch {
    return false;
  }
}
