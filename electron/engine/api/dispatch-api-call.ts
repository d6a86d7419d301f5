import type { ApiError } from '../../../shared/engine-state.js';
import { API_METHOD_NAMES, isApiMethodName, type ApiHandlers, type ApiMethodName } from '../../../shared/switchboard-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { API_PARAM_SCHEMAS } from './api-param-schemas.js';
import { toApiError } from './send-json.js';

export type DispatchOutcome = { ok: true; result: unknown } | { ok: false; error: ApiError };

/**
 * The one entry both transports (WebSocket, IPC) use: checks the method name and its params,
 * runs the handler, and turns every failure into an ApiError. Never throws.
 */
export async function dispatchApiCall(handlers: ApiHandlers, method: unknown, params: unknown): Promise<DispatchOutcome> {
  try {
    if (!isApiMethodName(method)) {
      throw new EngineError('not_found', `unknown method ${JSON.stringify(method)}`, { known: [...API_METHOD_NAMES] });
    }
    const parsed = API_PARAM_SCHEMAS[method].safeParse(params ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'params'}: ${i.message}`);
      throw new EngineError('bad_request', `bad params for ${method}: ${problems.join('; ')}`, { problems });
    }
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: toApiError(err) };
  }
}

export type { ApiMethodName };
