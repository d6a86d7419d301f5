// Health and information routes: /health(_generate), /ping, /get_model_info, /get_server_info,
// /get_weight_version (+ /model_info, /server_info, /weight_version with SGLANG_SIM_INFO_ROUTES=0.5.6),
// /v1/models(/{name}) and /metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultAttentionBackend } from './gpu-defaults.js';
import { sendEmpty, sendJson } from './http-io.js';
import { renderMetrics } from './metrics-text.js';
import type { SimApp } from './sim-context.js';
import { sleepMs } from './sim-env.js';
import { waitForever } from './memory-occupation.js';

let healthCounter = 0;

/** Epoch milliseconds with sub-millisecond resolution (an output right after `tic` must count as later). */
function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `time.strftime("%H:%M:%S", time.localtime(t))` */
function clockTime(epochMs: number): string {
  const date = new Date(epochMs);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/**
 * http_server.health_generate @ 0.5.3.post1: 503 while Starting or draining; otherwise a 1-token probe, then
 * a check every second (× time scale) whether anything came back from the scheduler since `tic` (the probe,
 * any other request's tokens, a control reply): 200 then. The scheduler drops the probe while requests run
 * or while `offload_tags` is non-empty (memory released); a paused or gone scheduler answers nothing. After
 * SGLANG_HEALTH_CHECK_TIMEOUT seconds without an answer: the error line, status UnHealthy, 503.
 */
export async function handleHealth(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (app.gracefullyExiting) {
    app.log.main('Health check request received during shutdown. Returning 503.');
    return sendEmpty(res, 503);
  }
  if (app.status === 'Starting') return sendEmpty(res, 503);
  const tic = preciseNowMs();
  if (app.scheduler.isIdle() && app.memory.offloadTags.size === 0) {
    healthCounter += 1;
    app.scheduler.submit({
      rid: `HEALTH_CHECK_${Date.now() / 1000}_${healthCounter}`,
      kind: 'health',
      promptText: '',
      promptTokens: 1,
      maxNewTokens: 1,
      onOutput: () => undefined,
    });
  }
  const lastReceive = () => Math.max(app.scheduler.lastOutputMs, app.memory.lastReplyMs);
  // Once a simulated second, but never sooner than one forward step: the time scale shortens waits, not the token
  // rate, and a scaled 20 s shorter than the probe's own step would fail every check of a healthy slow server.
  const checkEveryMs = Math.max(app.env.timeScale * 1000, app.scheduler.stepMs);
  for (let waitedS = 0; waitedS < app.healthCheckTimeoutS; waitedS += 1) {
    await sleepMs(checkEveryMs);
    if (app.gracefullyExiting) return sendEmpty(res, 503);
    if (lastReceive() > tic) {
      app.status = 'Up';
      return sendEmpty(res, 200);
    }
  }
  const lastHeartbeat = lastReceive();
  app.log.main(
    `Health check failed. Server couldn't get a response from detokenizer for last ${app.healthCheckTimeoutS} seconds. ` +
      `tic start time: ${clockTime(tic)}. last_heartbeat time: ${clockTime(lastHeartbeat)}`,
    'error',
  );
  app.status = 'UnHealthy';
  sendEmpty(res, 503);
}

export async function handlePing(_app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendEmpty(res, 200);
}

export async function handleGetModelInfo(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendJson(res, 200, {
    model_path: app.args.str('model_path'),
    tokenizer_path: app.args.str('tokenizer_path'),
    is_generation: true,
    preferred_sampling_params: app.args.str('preferred_sampling_params'),
    weight_version: app.args.str('weight_version'),
  });
}

export async function handleGetWeightVersion(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendJson(res, 200, { weight_version: app.args.str('weight_version') });
}

/**
 * SGLang 0.5.6 renamed the three GET info routes (PR #13273, "Remove verbs from GET endpoint paths",
 * python/sglang/srt/entrypoints/http_server.py): `/model_info`, `/server_info`, `/weight_version` are the
 * handlers, and `/get_model_info`, `/get_server_info`, `/get_weight_version` stay as aliases that log
 * `Endpoint '/get_X' is deprecated and will be removed in a future version. Please use '/X' instead.`
 * (logger.warning, SGLang's `[ts] msg` format) and then return the very same JSON (`return await X()`).
 * 0.5.3.post1 (the default) has only the `/get_*` names: the new ones are 404 there.
 */
export const RENAMED_INFO_ROUTES = [
  { legacy: '/get_model_info', current: '/model_info', handler: handleGetModelInfo },
  { legacy: '/get_server_info', current: '/server_info', handler: handleGetServerInfo },
  { legacy: '/get_weight_version', current: '/weight_version', handler: handleGetWeightVersion },
] as const;

/** The deprecated alias of a renamed route (SGLANG_SIM_INFO_ROUTES=0.5.6): a warning, then the new handler's answer. */
export function deprecatedAlias(legacy: string, current: string, handler: (app: SimApp, req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return async (app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    app.log.main(`Endpoint '${legacy}' is deprecated and will be removed in a future version. Please use '${current}' instead.`, 'warning');
    return handler(app, req, res);
  };
}

function internalState(app: SimApp): Record<string, unknown> {
  const args = app.args;
  const graphGiB = args.bool('disable_cuda_graph') ? 0 : app.plan.graphMemGiB;
  return {
    attention_backend: args.str('attention_backend') ?? defaultAttentionBackend(app.env.gpuMemMiB),
    chunked_prefill_size: args.num('chunked_prefill_size'),
    device: args.str('device'),
    disable_chunked_prefix_cache: args.bool('disable_chunked_prefix_cache'),
    disable_radix_cache: args.bool('disable_radix_cache'),
    enable_dp_attention: args.bool('enable_dp_attention'),
    enable_dp_lm_head: args.bool('enable_dp_lm_head'),
    kv_cache_dtype: args.str('kv_cache_dtype'),
    max_micro_batch_size: args.num('pp_max_micro_batch_size'),
    moe_a2a_backend: args.str('moe_a2a_backend'),
    sampling_backend: args.str('sampling_backend'),
    torchao_config: args.str('torchao_config'),
    triton_attention_reduce_in_fp32: args.bool('triton_attention_reduce_in_fp32'),
    num_reserved_decode_tokens: args.num('num_reserved_decode_tokens'),
    last_gen_throughput: app.metrics.genThroughput,
    memory_usage: {
      weight: Math.round(app.plan.weightsGiB * 100) / 100,
      kvcache: Math.round(app.plan.kvSizeGiB * 100) / 100,
      token_capacity: app.plan.maxTotalNumTokens,
      graph: Math.round(graphGiB * 100) / 100,
    },
  };
}

export async function handleGetServerInfo(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  // internal_states come from the scheduler (get_internal_state): nothing answers once it is gone.
  if (app.memory.schedulerGone) return waitForever();
  sendJson(res, 200, {
    ...app.args.toJson(),
    status: 'ready',
    max_total_num_tokens: app.plan.maxTotalNumTokens,
    max_req_input_len: app.plan.maxReqInputLen,
    internal_states: [internalState(app)],
    version: '0.5.3.post1',
  });
}

function modelCard(app: SimApp): Record<string, unknown> {
  const name = app.servedModelName;
  return { id: name, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'sglang', root: name, max_model_len: app.contextLen };
}

export async function handleListModels(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendJson(res, 200, { object: 'list', data: [modelCard(app)] });
}

export async function handleRetrieveModel(app: SimApp, _req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const name = decodeURIComponent(url.pathname.slice('/v1/models/'.length));
  if (name === app.servedModelName) return sendJson(res, 200, modelCard(app));
  sendJson(res, 404, {
    error: { message: `The model '${name}' does not exist`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
  });
}

export async function handleMetrics(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { running, queued, usedTokens } = app.scheduler.counts();
  const text = renderMetrics(app.servedModelName, app.metrics, {
    runningReqs: running,
    queuedReqs: queued,
    usedTokens,
    tokenUsage: usedTokens / Math.max(1, app.plan.maxTotalNumTokens),
    engineStartupS: (Date.now() - app.startedAtMs) / 1000,
    loadWeightsS: app.loadWeightsS,
  });
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
