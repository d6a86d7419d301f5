import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

// The router's one observation point: every request to a router route (/v1/*) is reported once, when
// its response closes, with its route, model and status. Metrics (electron/engine/metrics/) count
// them; a request log can listen to the same hook. Nothing is computed on the hot path beyond one
// `close` listener per request.

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
}

/** Called once per router request; must not throw or block (it runs in the response's `close` event). */
export type RouterObserver = (outcome: RouterRequestOutcome) => void;

const modelOf = new WeakMap<ServerResponse, string>();

/** The completion route says which catalog model a request resolved to (aliases resolved). */
export function noteRequestModel(res: ServerResponse, modelId: string): void {
  modelOf.set(res, modelId);
}

/** Reports `res` to `observer` once it closes. */
export function observeRequest(res: ServerResponse, route: string, observer: RouterObserver): void {
  const startedAt = performance.now();
  res.once('close', () => {
    try {
      observer({ route, model: modelOf.get(res) ?? null, status: res.writableFinished ? res.statusCode : 499, durationMs: performance.now() - startedAt });
    } catch {
      // An observer's bug must not take the router down.
    }
  });
}
