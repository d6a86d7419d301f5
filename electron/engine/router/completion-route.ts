import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LOADING_MESSAGE_STYLES, type LoadingMessageStyle, type ModelEntry } from '../../../shared/catalog-schema.js';
import type { Failure } from '../../../shared/failure.js';
import type { Engine, ModelLease, RequestAdmission } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { abortable } from '../abortable.js';
import { applySamplingDefaults } from './apply-sampling-defaults.js';
import { ClientWatch } from './client-watch.js';
import { forwardUpstream, type ForwardOutcome } from './forward-upstream.js';
import { LoadingReporter, openAiStatusSink, type CompletionKind, type StatusSink } from './loading-reporter.js';
import { lingerClose } from './linger-close.js';
import { openAiError, RouterError, sendOpenAiError, type OpenAiErrorBody } from './openai-error.js';
import { readRawBody } from './read-raw-body.js';
import { noteRequestError, noteRequestModel, noteRequestStream, noteRequestWaited } from './request-observer.js';
import { hasStatusMarker, stripStatusText } from './status-text.js';

export interface CompletionRouteOptions {
  maxBodyBytes: number;
  defaultLoadingStyle: LoadingMessageStyle;
  /** How long a non-streaming request waits for its model. */
  readyTimeoutMs: number;
}

interface ParsedRequest {
  model: ModelEntry;
  /** The model name as the client sent it (echoed in status chunks). */
  requestModel: string;
  body: Buffer;
  stream: boolean;
  style: LoadingMessageStyle;
}

/** POST /v1/chat/completions and /v1/completions: resolve, switch if needed, forward. */
export async function handleCompletion(engine: Engine, req: IncomingMessage, res: ServerResponse, kind: CompletionKind, opts: CompletionRouteOptions): Promise<void> {
  let parsed: ParsedRequest;
  try {
    parsed = parseRequest(engine, req, res, await readRawBody(req, opts.maxBodyBytes), kind, opts);
  } catch (err) {
    return sendRouterError(res, err, req);
  }
  const path = kind === 'chat' ? '/v1/chat/completions' : '/v1/completions';
  // Only an `upstream:` server may send cumulative text; the SGLang servers the engine launches send deltas.
  const normalize = parsed.model.upstream !== undefined;
  await serveLeased(engine, res, parsed, opts.readyTimeoutMs, {
    statusSink: () => openAiStatusSink(res, { style: parsed.style, kind, requestModel: parsed.requestModel }),
    sendError: sendOpenAiError,
    forward: (baseUrl, retryable, client) => forwardUpstream({ res, baseUrl, path, body: parsed.body, stream: parsed.stream, kind, client, headersSent: res.headersSent, normalize, retryable }),
  });
}

/** A request whose model is resolved: what the lease flow needs to know of it. */
export interface LeaseTarget {
  model: ModelEntry;
  stream: boolean;
}

/** One API's side of the lease flow (OpenAI here, Anthropic in anthropic-messages-route.ts). */
export interface LeaseDialect {
  /** How a stream shows the switch while the model loads. */
  statusSink(): StatusSink;
  /** Answers a non-streaming request whose wait failed (an OpenAI-shaped body; other APIs convert it). */
  sendError(res: ServerResponse, status: number, body: OpenAiErrorBody, headers?: Record<string, string>): void;
  /** Sends the request to the model server and answers the client (forward-upstream.ts's contract for `retryable`). */
  forward(baseUrl: string, retryable: boolean, client: ClientWatch): Promise<ForwardOutcome>;
}

/**
 * The flow every inference route shares once its request names a catalog model: lease the model
 * (streams show the switch through the dialect's status sink; other requests wait up to
 * `readyTimeoutMs`), forward, and when a server the engine launched cannot be reached, have the
 * engine check it (relaunching a crashed one) and lease and forward once more. Nothing has been
 * written to `res` when it is called, so a step that may refuse the request before any byte (an
 * admission check) belongs at its top.
 */
export async function serveLeased(engine: Engine, res: ServerResponse, target: LeaseTarget, readyTimeoutMs: number, dialect: LeaseDialect): Promise<void> {
  noteRequestModel(res, target.model.id);
  // The model's maxConcurrent: a place now, a place in its queue, or 429 before any byte.
  let admission: RequestAdmission;
  try {
    admission = engine.admit(target.model.id, { stream: target.stream });
  } catch (err) {
    if (!(err instanceof EngineError) || err.code !== 'too_many_requests') throw err;
    dialect.sendError(res, 429, openAiError(err.message, 'rate_limit_error', 'too_many_requests', 'model'), { 'retry-after': String(RETRY_AFTER_FULL_S) });
    return;
  }
  const client = new ClientWatch(res);
  if (admission.queued && !(await holdPlace(engine, res, target, admission, client, readyTimeoutMs, dialect))) {
    admission.release();
    return;
  }
  // The time until the lease (0 when the model serves now) is the request log's waited-for-switch time.
  const lease = async (admitted?: RequestAdmission) => {
    const startedAt = performance.now();
    try {
      return await (target.stream ? leaseStreaming(engine, res, target, dialect, client, admitted) : leaseWaiting(engine, res, target, dialect, client, readyTimeoutMs, admitted));
    } finally {
      noteRequestWaited(res, performance.now() - startedAt);
    }
  };
  let first: ModelLease | null = null;
  try {
    first = await lease(admission);
  } finally {
    // Ends the admission when no lease took it over (a lease's release ends it otherwise; both are idempotent).
    if (!first) admission.release();
  }
  if (!first) return;
  let outcome: ForwardOutcome;
  try {
    // A server the engine launched that cannot be reached may have crashed: checked, relaunched, sent again once.
    outcome = await dialect.forward(first.baseUrl, target.model.upstream === undefined, client);
  } finally {
    first.release();
  }
  if (outcome !== 'unreachable' || client.gone) return;
  await engine.reportUnreachable(target.model.id);
  const second = await lease();
  if (!second) return;
  try {
    await dialect.forward(second.baseUrl, false, client);
  } finally {
    second.release();
  }
}

function parseRequest(engine: Engine, req: IncomingMessage, res: ServerResponse, raw: Buffer, kind: CompletionKind, opts: CompletionRouteOptions): ParsedRequest {
  const style = loadingStyle(req.headers['x-switchboard-loading'], opts.defaultLoadingStyle);
  const text = raw.toString('utf8');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new RouterError(400, openAiError(`request body is not valid JSON: ${(err as Error).message}`, 'invalid_request_error', 'invalid_json'));
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RouterError(400, openAiError('request body must be a JSON object', 'invalid_request_error', 'invalid_body'));
  }
  noteRequestStream(res, body.stream === true);
  const requestModel = body.model;
  if (typeof requestModel !== 'string' || requestModel === '') {
    throw new RouterError(400, openAiError('"model" is required: one of the ids in GET /v1/models', 'invalid_request_error', 'model_required', 'model'));
  }
  const model = resolveRequestModel(engine, requestModel);
  let changed = false;
  if (kind === 'chat' && hasStatusMarker(text)) {
    const stripped = stripStatusText(body.messages);
    if (stripped.changed) {
      body.messages = stripped.messages;
      changed = true;
    }
  }
  if (applySamplingDefaults(body, model.sampling)) changed = true;
  if (requestModel !== model.id && model.upstream === undefined) {
    body.model = model.id;
    changed = true;
  }
  // Unchanged requests go upstream as the very bytes the client sent.
  return { model, requestModel, body: changed ? Buffer.from(JSON.stringify(body)) : raw, stream: body.stream === true, style };
}

/**
 * The catalog entry a request names (id or alias). Throws a RouterError: 404 for an unknown name,
 * 409 when loading it would evict a pinned model (refused before anything streams).
 */
export function resolveRequestModel(engine: Engine, requestModel: string): ModelEntry {
  const model = engine.resolveModel(requestModel);
  if (!model) throw unknownModel(engine, requestModel);
  const refusal = engine.placementRefusal(model.id, 'request');
  if (refusal) throw new RouterError(409, openAiError(refusal.message, 'invalid_request_error', 'model_pinned', 'model'));
  return model;
}

/**
 * A request queued under its model's maxConcurrent waits for a free place before anything else:
 * without a byte (its turn comes when one of the model's requests ends), then on as if it had just
 * arrived. A client that goes away gives its place up; a non-streaming one waits at most
 * `timeoutMs` and then gets 503 `queue_timeout`. False when it did not get a place.
 */
async function holdPlace(engine: Engine, res: ServerResponse, p: LeaseTarget, admission: RequestAdmission, client: ClientWatch, timeoutMs: number, dialect: LeaseDialect): Promise<boolean> {
  const timeout = p.stream ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    await abortable(admission.placed, timeout ? AbortSignal.any([client.signal, timeout]) : client.signal);
    return true;
  } catch {
    if (client.gone) return false;
    const message = `${p.model.id} had no free place within ${Math.round(timeoutMs / 1000)} s (its ${p.model.maxConcurrent} maxConcurrent requests kept running)`;
    dialect.sendError(res, 503, openAiError(`${message} — raise its maxConcurrent or backend.readyTimeoutS, or use streaming`, 'model_busy', 'queue_timeout'), {
      'retry-after': String(RETRY_AFTER_FULL_S),
    });
    return false;
  }
}

/** Streams: answer at once when the model serves now; otherwise stream status lines while it loads. */
async function leaseStreaming(engine: Engine, res: ServerResponse, p: LeaseTarget, dialect: LeaseDialect, client: ClientWatch, admission?: RequestAdmission): Promise<ModelLease | null> {
  const admitted = admission ? { admission } : {};
  // Served now: nothing to wait for, so no signal to make.
  if (engine.isServing(p.model.id)) return engine.acquire(p.model.id, 'request', { stream: true, ...admitted });
  const signal = client.signal;
  const reporter = new LoadingReporter(engine, p.model.id, dialect.statusSink());
  reporter.start();
  try {
    const lease = await engine.acquire(p.model.id, 'request', { signal, stream: true, ...admitted });
    if (signal.aborted) {
      lease.release();
      return null;
    }
    reporter.ready();
    return lease;
  } catch (err) {
    if (!signal.aborted) {
      const failure = failureOf(err);
      noteRequestError(res, failure.cause);
      reporter.failed(failure);
    }
    return null;
  } finally {
    reporter.stop();
  }
}

/** Non-streaming requests wait (up to readyTimeoutS) and get the model's answer, or 503 with the cause. */
async function leaseWaiting(
  engine: Engine,
  res: ServerResponse,
  p: LeaseTarget,
  dialect: LeaseDialect,
  client: ClientWatch,
  timeoutMs: number,
  admission?: RequestAdmission,
): Promise<ModelLease | null> {
  const admitted = admission ? { admission } : {};
  if (engine.isServing(p.model.id)) return engine.acquire(p.model.id, 'request', { stream: false, ...admitted });
  const signal = client.signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  try {
    return await engine.acquire(p.model.id, 'request', { signal: both, stream: false, ...admitted });
  } catch (err) {
    if (signal.aborted) return null;
    if (err instanceof EngineError && err.code === 'conflict' && err.details?.pinned) {
      dialect.sendError(res, 409, openAiError(err.message, 'invalid_request_error', 'model_pinned', 'model'));
      return null;
    }
    if (err instanceof EngineError && err.code === 'will_not_fit') {
      dialect.sendError(res, 409, openAiError(`${err.message} — ${forceHint(p.model.id)}`, 'invalid_request_error', WILL_NOT_FIT_CODE, 'model'));
      return null;
    }
    const failure = timeout.aborted
      ? { cause: 'ready_timeout', message: `${p.model.id} was not ready within ${Math.round(timeoutMs / 1000)} s`, hint: 'raise backend.readyTimeoutS or use streaming' }
      : failureOf(err);
    dialect.sendError(res, 503, openAiError(`${failure.message} — ${failure.hint}`, 'model_load_failed', failure.cause), { 'retry-after': '30' });
    return null;
  }
}

/** Retry-After on a 429: a place frees when one of the model's requests ends, typically within seconds. */
const RETRY_AFTER_FULL_S = 1;

/** Why a request's switch failed: a load failure's cause, or an error code of the router's own. */
type RequestFailure = { cause: string; message: string; hint: string };

/** The error code a request gets when the fit estimate refused the load it needed. */
const WILL_NOT_FIT_CODE = 'model_will_not_fit';

function forceHint(modelId: string): string {
  return `to try anyway, switch with force (the app's "Switch anyway", or \`switchboard switch --force ${modelId}\`)`;
}

function failureOf(err: unknown): RequestFailure {
  if (err instanceof EngineError && err.details?.failure) return err.details.failure as Failure;
  // The fit check refused the load in its turn (nothing was launched): the stream's last status line says why.
  if (err instanceof EngineError && err.code === 'will_not_fit') return { cause: WILL_NOT_FIT_CODE, message: err.message, hint: forceHint(String(err.details?.modelId ?? '')) };
  const message = err instanceof Error ? err.message : String(err);
  return { cause: 'exited', message, hint: 'see `switchboard logs` for the backend output' };
}

export function loadingStyle(header: string | string[] | undefined, fallback: LoadingMessageStyle): LoadingMessageStyle {
  if (header === undefined) return fallback;
  const value = (Array.isArray(header) ? header[0] : header)!.trim().toLowerCase();
  if ((LOADING_MESSAGE_STYLES as readonly string[]).includes(value)) return value as LoadingMessageStyle;
  throw new RouterError(400, openAiError(`X-Switchboard-Loading must be one of ${LOADING_MESSAGE_STYLES.join(', ')}; got "${value}"`, 'invalid_request_error', 'invalid_header'));
}

function unknownModel(engine: Engine, name: string): RouterError {
  const known = engine.catalog().models.flatMap((m) => [m.id, ...m.aliases]);
  return new RouterError(404, openAiError(`The model '${name}' does not exist; available: ${known.join(', ')}`, 'invalid_request_error', 'model_not_found', 'model'));
}

/** Answers a request refused before its lease (a RouterError's status and body; 500 for anything else), through `send`. */
export function sendRouterError(res: ServerResponse, err: unknown, req: IncomingMessage, send: LeaseDialect['sendError'] = sendOpenAiError): void {
  if (err instanceof RouterError) {
    // A 413 leaves the rest of the upload unread: close, but only once the client could read the answer.
    if (err.status === 413) lingerClose(req);
    send(res, err.status, err.body, err.status === 413 ? { connection: 'close' } : {});
    return;
  }
  send(res, 500, openAiError(err instanceof Error ? err.message : String(err), 'internal_error'));
}
