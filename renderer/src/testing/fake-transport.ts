import { ApiCallError, type ApiEvent, type ApiHandlers, type ApiMethodName, type ApiParams, type ApiResult, type ApiTransport, type ConnectionDetail } from '../../../shared/switchboard-api.js';
import type { ApiError } from '../../../shared/engine-state.js';

/**
 * An in-memory transport for component and store tests: calls go to the handlers given (a
 * missing one rejects with not_found), `emit` delivers events as the engine would, `calls`
 * records every call. End-to-end tests use the real engine instead.
 */
export interface FakeTransport extends ApiTransport {
  emit(...events: ApiEvent[]): void;
  calls: { method: ApiMethodName; params: unknown }[];
  setConnection(state: 'connecting' | 'open' | 'closed', detail?: ConnectionDetail): void;
}

export function createFakeTransport(handlers: Partial<ApiHandlers> = {}): FakeTransport {
  const listeners = new Set<(events: ApiEvent[]) => void>();
  const connectionListeners = new Set<(state: 'connecting' | 'open' | 'closed', detail?: ConnectionDetail) => void>();
  const calls: FakeTransport['calls'] = [];
  return {
    kind: 'websocket',
    calls,
    async call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
      calls.push({ method, params });
      const handler = handlers[method] as ((p: ApiParams<M>) => Promise<ApiResult<M>>) | undefined;
      if (!handler) throw new ApiCallError({ code: 'not_found', message: `fake transport: no handler for ${method}` } satisfies ApiError);
      return handler(params);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener('open');
      return () => connectionListeners.delete(listener);
    },
    emit(...events) {
      for (const listener of listeners) listener(events);
    },
    setConnection(state, detail) {
      for (const listener of connectionListeners) listener(state, detail);
    },
  };
}
