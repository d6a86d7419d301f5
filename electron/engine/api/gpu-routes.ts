// GPU telemetry, power limits and throughput: `/api/gpu…` and `/api/throughput/{model}`.

import { EngineError } from '../../../shared/engine-error.js';
import { readJsonBody } from './read-json-body.js';
import { pathParam, type Route, type RouteContext } from './route.js';
import { sendJson } from './send-json.js';

/** The revert window the helper accepts. */
const MAX_REVERT_AFTER_S = 3600;

export const GPU_ROUTES: Route[] = [
  { method: 'GET', path: /^\/api\/gpu$/, handle: handleOverview },
  { method: 'GET', path: /^\/api\/gpu\/([^/]+)\/history$/, handle: handleHistory },
  { method: 'POST', path: /^\/api\/gpu\/power-limit$/, handle: handleSetPowerLimit },
  {
    method: 'POST',
    path: /^\/api\/gpu\/power-limit\/([^/]+)\/confirm$/,
    handle: async (ctx) => sendJson(ctx.res, 200, await ctx.engine.confirmPowerLimit(pathParam(ctx))),
  },
  {
    method: 'POST',
    path: /^\/api\/gpu\/power-limit\/([^/]+)\/revert$/,
    handle: async (ctx) => sendJson(ctx.res, 200, await ctx.engine.revertPowerLimit(pathParam(ctx))),
  },
  { method: 'POST', path: /^\/api\/gpu\/preset$/, handle: handlePreset },
  { method: 'GET', path: /^\/api\/throughput\/([^/]+)$/, handle: handleThroughput },
];

/** `GET /api/gpu[?refresh=topology]` — GpuOverview. */
async function handleOverview({ engine, res, query }: RouteContext): Promise<void> {
  const refresh = query.get('refresh');
  if (refresh !== null && refresh !== 'topology') throw new EngineError('bad_request', '"refresh" may only be "topology"');
  sendJson(res, 200, await engine.gpu({ refreshTopology: refresh === 'topology' }));
}

/** `GET /api/gpu/{uuid|busId}/history?since=<unix ms>` — `{ gpu, samples }`. */
function handleHistory(ctx: RouteContext): void {
  const gpu = pathParam(ctx);
  sendJson(ctx.res, 200, { gpu, samples: ctx.engine.gpuHistory(gpu, parseSince(ctx.query.get('since'))) });
}

/** `POST /api/gpu/power-limit` `{ gpu, watts, revertAfterS? }` — the pending change. */
async function handleSetPowerLimit({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonBody(req);
  if (typeof body.gpu !== 'string' || body.gpu === '') throw new EngineError('bad_request', '"gpu" must be a GPU UUID or PCI bus id');
  sendJson(res, 200, await engine.setPowerLimit(body.gpu, readWatts(body.watts), readRevertAfterS(body.revertAfterS)));
}

/** `POST /api/gpu/preset` `{ watts, revertAfterS? }` — every GPU to `watts`. */
async function handlePreset({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonBody(req);
  sendJson(res, 200, await engine.applyPowerPreset(readWatts(body.watts), readRevertAfterS(body.revertAfterS)));
}

/** `GET /api/throughput/{model}?since=<unix ms>` — `{ modelId, samples }`. */
function handleThroughput(ctx: RouteContext): void {
  const { engine, res, query } = ctx;
  const requested = pathParam(ctx);
  const model = engine.resolveModel(requested);
  if (!model) throw new EngineError('unknown_model', `unknown model "${requested}"`, { known: engine.catalog().models.map((m) => m.id) });
  sendJson(res, 200, { modelId: model.id, samples: engine.throughput(model.id, parseSince(query.get('since'))) });
}

function readWatts(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new EngineError('bad_request', `"watts" must be a whole number of watts, got ${JSON.stringify(value)}`);
  return value;
}

function readRevertAfterS(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_REVERT_AFTER_S) {
    throw new EngineError('bad_request', `"revertAfterS" must be a whole number of seconds from 1 to ${MAX_REVERT_AFTER_S}`);
  }
  return value;
}

function parseSince(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) throw new EngineError('bad_request', `"since" must be a time in ms since the epoch, got "${raw}"`);
  return Number(raw);
}
