import { API_METHOD_NAMES, type ApiHandlers, type ApiMethodName, type ApiTransport } from '../switchboard-api.js';

export interface RemoteHandlersOptions {
  /**
   * Maps what the transport throws before it reaches the caller. The Electron main process turns
   * an ApiCallError back into its own EngineError here, so a remote `conflict` stays a `conflict`.
   */
  mapError?: (err: unknown) => unknown;
}

/**
 * Every method of the contract as a call over `transport`: an engine running elsewhere, seen as
 * the same ApiHandlers an in-process engine gives. Built by looping over API_METHOD_NAMES, so a
 * new method needs no code here. Params go through untouched; results and errors come back as
 * the transport delivers them (through `mapError` when given).
 */
export function createRemoteHandlers(transport: Pick<ApiTransport, 'call'>, options: RemoteHandlersOptions = {}): ApiHandlers {
  const mapError = options.mapError ?? ((err: unknown) => err);
  const handlers: Partial<Record<ApiMethodName, (params: unknown) => Promise<unknown>>> = {};
  for (const method of API_METHOD_NAMES) {
    handlers[method] = async (params) => {
      try {
        return await transport.call(method, params as never);
      } catch (err) {
        throw mapError(err);
      }
    };
  }
  return handlers as ApiHandlers;
}
