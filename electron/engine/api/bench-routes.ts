// The built-in benchmark: `POST /api/bench/{model}` runs one, `GET /api/bench/history` lists them.

import { EngineError } from '../../../shared/engine-error.js';
import { readJsonBody } from './read-json-body.js';
import { unknownModelError } from '../catalog/resolve-model-id.js';
import { pathParam, type Route, type RouteContext } from './route.js';
import { sendJson } from './send-json.js';

const MAX_TOKENS_LIMIT = 32_768;

export const BENCH_ROUTES: Route[] = [
  { method: 'GET', path: /^\/api\/bench\/history$/, handle: ({ engine, res }) => sendJson(res, 200, engine.benchHistory()) },
  { method: 'POST', path: /^\/api\/bench\/([^/]+)$/, handle: handleRun },
];

/**
 * `POST /api/bench/{model}` `{ maxTokens? }` — loads the model when needed, runs, and answers with the
 * BenchResult (after the whole run). 409 while another benchmark runs; 422 `too_few_tokens` when the
 * model gave fewer than two tokens (nothing to time).
 */
async function handleRun(ctx: RouteContext): Promise<void> {
  const { engine, req, res } = ctx;
  const model = pathParam(ctx);
  const body = await readJsonBody(req);
  const maxTokens = body.maxTokens;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 2 || maxTokens > MAX_TOKENS_LIMIT)) {
    throw new EngineError('bad_request', `"maxTokens" must be a whole number from 2 to ${MAX_TOKENS_LIMIT}`);
  }
  if (!engine.resolveModel(model)) throw unknownModelError(engine.catalog(), model);
  sendJson(res, 200, await engine.runBenchmark(model, { maxTokens }));
}
