import { ApiCallError, type ApiTransport } from '../../../shared/switchboard-api.js';
import type { ApiError } from '../../../shared/engine-state.js';

/**
 * The preload's `window.switchboard` as the page uses it. contextBridge copies a thrown Error with
 * its message only, so the preload rejects with a plain `{ name: 'ApiCallError', code, message,
 * details }`; this turns it back into an ApiCallError, so both transports fail the same way.
 */
export function pageIpcTransport(bridged: ApiTransport): ApiTransport {
  return {
    kind: 'ipc',
    call: (method, params) => bridged.call(method, params).catch((err: unknown) => Promise.reject(reviveApiError(err))),
    subscribe: (listener) => bridged.subscribe(listener),
    ...(bridged.onConnection ? { onConnection: (listener: Parameters<NonNullable<ApiTransport['onConnection']>>[0]) => bridged.onConnection!(listener) } : {}),
    ...(bridged.restartEngine ? { restartEngine: () => bridged.restartEngine!() } : {}),
    ...(bridged.close ? { close: () => bridged.close!() } : {}),
  };
}

export function reviveApiError(err: unknown): unknown {
  if (err && typeof err === 'object' && (err as { name?: unknown }).name === 'ApiCallError' && typeof (err as { code?: unknown }).code === 'string') {
    return new ApiCallError(err as ApiError);
  }
  return err;
}
