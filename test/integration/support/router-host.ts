import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { catalogSchema } from '../../../shared/catalog-schema.js';
import { createEngineApi } from '../../../electron/engine/api/create-engine-api.js';
import { startEngineServer } from '../../../electron/engine/api/start-engine-server.js';
import { createEngine, type CreateEngineOptions } from '../../../electron/engine/engine.js';
import type { Engine } from '../../../electron/engine/engine-api.js';
import { listGroupMembers } from '../../../electron/system/process-group.js';
import { createSimHost, type SimHost, type SimModelSpec } from './sim-host.js';

/** The engine with its router on a free port, over a simulated host. */
export interface RouterHost {
  sim: SimHost;
  engine: Engine;
  url: string;
  /** The engine's generated admin token (in the sim's state dir). */
  adminToken: string;
  /** `Authorization` with the admin token, for /api/*. */
  adminHeaders: Record<string, string>;
  close(): Promise<void>;
}

export interface RouterHostOptions {
  apiKeys?: string[];
  loadingMessages?: 'content' | 'reasoning' | 'comment' | 'none';
  /** Extra catalog models (e.g. `upstream:` ones) appended to the simulated ones. */
  extraModels?: NonNullable<CatalogInput['models']>;
  tokensPerS?: number;
  drainTimeoutS?: number;
  sampling?: Record<string, Record<string, number | string | boolean>>;
  /** Last word on the catalog (lifecycle settings, per-model fields) before it is parsed. */
  patch?: (input: CatalogInput) => void | Promise<void>;
  /** Engine options besides the catalog and state dir (test seams such as readHostMemory). */
  engine?: Partial<Omit<CreateEngineOptions, 'catalog' | 'configPath' | 'stateDir'>>;
}

export async function startRouterHost(models: SimModelSpec[], opts: RouterHostOptions = {}): Promise<RouterHost> {
  const sim = await createSimHost(models);
  const input = structuredClone(sim.catalogInput);
  input.router = { ...input.router, apiKeys: opts.apiKeys ?? [], loadingMessages: opts.loadingMessages ?? 'content' };
  input.backend = { ...input.backend, drainTimeoutS: opts.drainTimeoutS ?? 300 };
  input.sglang!.env = { ...input.sglang!.env, SGLANG_SIM_TOKENS_PER_S: String(opts.tokensPerS ?? 0) };
  input.models = [...(input.models ?? []), ...(opts.extraModels ?? [])].map((m) => ({ ...m, ...(opts.sampling?.[m.id] ? { sampling: opts.sampling[m.id] } : {}) }));
  await opts.patch?.(input);
  const catalog = catalogSchema.parse(input);
  const engine = await createEngine({ catalog, configPath: 'test', stateDir: sim.dir, probeIntervalMs: 50, ...opts.engine });
  const pids = new Set<number>();
  engine.subscribe((e) => {
    if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
  });
  // As `switchboard serve` assembles it: router, admin API with its token, /api/ws and /ui/.
  const server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir: sim.dir, handlers: createEngineApi(engine, 'test').handlers });
  return {
    sim,
    engine,
    url: server.url,
    adminToken: server.adminToken,
    adminHeaders: { authorization: `Bearer ${server.adminToken}` },
    async close() {
      await engine.close();
      await server.close();
      for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
      await sim.cleanup();
    },
  };
}

/** A small OpenAI-ish upstream for `upstream:` models: records requests, answers with the given SSE bytes. */
export interface ScriptedUpstream {
  url: string;
  requests: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startScriptedUpstream(respond: (body: Record<string, unknown>, res: ServerResponse) => void): Promise<ScriptedUpstream> {
  const requests: ScriptedUpstream['requests'] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const c of req) text += c;
    const body = JSON.parse(text) as Record<string, unknown>;
    requests.push({ path: req.url ?? '', body });
    respond(body, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Raw SSE events (the `data:` payloads and comment lines) of a fetch response, in order. */
export async function readSseEvents(res: Response): Promise<{ data: string[]; comments: string[]; raw: string }> {
  const raw = await res.text();
  const data: string[] = [];
  const comments: string[] = [];
  for (const event of raw.split('\n\n')) {
    if (!event.trim()) continue;
    for (const line of event.split('\n')) {
      if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith(':')) comments.push(line.slice(1).trim());
    }
  }
  return { data, comments, raw };
}
