import type { ApiTransport } from '../switchboard-api.js';

export interface WebSocketTransportOptions {
  /** ws:// or wss:// URL of the engine's /api/ws. */
  url: string;
  /** The router API key, when the engine has keys; read at each (re)connect. */
  apiKey?: () => string | undefined;
  /** A WebSocket class (the browser's by default; `ws` in Node). */
  WebSocketImpl?: typeof WebSocket;
}

/** PLACEHOLDER — the transport helper replaces this with the real client (reconnects, resubscribes). */
export function createWebSocketTransport(_options: WebSocketTransportOptions): ApiTransport {
  throw new Error('not implemented yet');
}
