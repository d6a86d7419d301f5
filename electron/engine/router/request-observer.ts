import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

// The router's one observation point: every request to a router route (/v1/*) is reported once, when
// its response closes, with its route, model, status and what the route noted on the way (stream,
// time waited for a switch, first answer byte, tokens, error code). Metrics (electron/engine/metrics/)
// count them; the request log (electron/engine/requests/) records them. On the hot path: one `close`
// listener per request and a few notes in a WeakMap entry per request (none per streamed chunk).

/** One finished router request. */
export interface RouterRequestOutcome {
  /** The route as a template, e.g. `/v1/chat/completions`, `/v1/models/{model}` (never the raw path). */
  route: string;
  /** The catalog id the request was resolved to; null before or without resolution (bad JSON, unknown model, /v1/models). */
  model: string | null;
  /** The HTTP status sent; 499 when the client went away before the response was complete. */
  status: number;
  /** From the route match to the response's close. */
  durationMs: number;
  /** Wall-clock time of the route match (ms since the epoch). */
  startedAtMs: number;
  /** The TCP peer's address; null when unknown. */
  client: string | null;
  /** Whether the body asked for a stream; null when no body was read (/v1/models, a refusal before it). */
  stream: boolean | null;
  /** Time spent waiting for the model (switch, load); null when the route waited for none. */
  waitedMs: number | null;
  /** From the route match to the first byte of the model's answer handed to the client; null when none. */
  ttftMs: number | null;
  /** From the model's `usage`; null when it reported none. */
  promptTokens: number | null;
  completionTokens: number | null;
  /** The first error code noted (router codes, load-failure causes, `upstream_status`), `client_gone` for 499; null otherwise. */
  error: string | null;
}

/** Called once per router request; must not throw or block (it runs in the response's `close` event). */
export type RouterObserver = (outcome: RouterRequestOutcome) => void;

/** What the routes note about a request while answering it. */
interface RequestNotes {
  model?: string;
  stream?: boolean;
  waitedMs?: number;
  /** performance.now() of the first answer byte. */
  firstByteAt?: number;
  promptTokens?: number;
  completionTokens?: number;
  error?: string;
}

const notesOf = new WeakMap<ServerResponse, RequestNotes>();

function notes(res: ServerResponse): RequestNotes {
  let found = notesOf.get(res);
  if (!found) {
    found = {};
    notesOf.set(res, found);
  }
  return found;
}

/** The completion route says which catalog model a request resolved to (aliases resolved). */
export function noteRequestModel(res: ServerResponse, modelId: string): void {
  notes(res).model = modelId;
}

/** The completion route says whether the client asked for a stream. */
export function noteRequestStream(res: ServerResponse, stream: boolean): void {
  notes(res).stream = stream;
}

/** Adds time spent waiting for the model (a retry after a crash waits again). */
export function noteRequestWaited(res: ServerResponse, ms: number): void {
  const n = notes(res);
  n.waitedMs = (n.waitedMs ?? 0) + Math.max(0, ms);
}

/** The first byte of the model's answer goes to the client now (call once; later calls are ignored). */
export function noteFirstAnswerByte(res: ServerResponse): void {
  notes(res).firstByteAt ??= performance.now();
}

/** The model's `usage`. */
export function noteRequestUsage(res: ServerResponse, promptTokens: number | null, completionTokens: number | null): void {
  const n = notes(res);
  if (promptTokens !== null) n.promptTokens = promptTokens;
  if (completionTokens !== null) n.completionTokens = completionTokens;
}

/** Why the request failed, as a code; the first one noted is kept (it is the cause, later ones follow from it). */
export function noteRequestError(res: ServerResponse, code: string): void {
  notes(res).error ??= code;
}

/** Reports `res` to `observer` once it closes. */
export function observeRequest(res: ServerResponse, route: string, observer: RouterObserver): void {
  const startedAt = performance.now();
  const startedAtMs = Date.now();
  // Read now: the socket forgets its peer once destroyed. A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
  const peer = res.req.socket.remoteAddress;
  const client = peer === undefined ? null : peer.startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  res.once('close', () => {
    try {
      const n = notesOf.get(res) ?? {};
      const status = res.writableFinished ? res.statusCode : 499;
      observer({
        route,
        model: n.model ?? null,
        status,
        durationMs: performance.now() - startedAt,
        startedAtMs,
        client,
        stream: n.stream ?? null,
        waitedMs: n.waitedMs ?? null,
        ttftMs: n.firstByteAt === undefined ? null : n.firstByteAt - startedAt,
        promptTokens: n.promptTokens ?? null,
        completionTokens: n.completionTokens ?? null,
        error: n.error ?? (status === 499 ? 'client_gone' : null),
      });
    } catch {
      // An observer's bug must not take the router down.
    }
  });
}
