import { API_PROTOCOL_VERSION, ApiCallError, type ApiEvent, type ApiMethodName, type ApiParams, type ApiResult, type ApiServerMessage, type ApiTransport } from '../switchboard-api.js';

/** The subprotocol both ends speak; the engine echoes it on a successful handshake. */
export const WEBSOCKET_SUBPROTOCOL = 'switchboard.v1';
/** Browsers cannot set headers on a WebSocket, so the admin key travels as `switchboard.key.<base64url(key)>`. */
export const WEBSOCKET_KEY_PROTOCOL_PREFIX = 'switchboard.key.';

export interface WebSocketTransportOptions {
  /** ws:// or wss:// URL of the engine's /api/ws. */
  url: string;
  /** The admin key (router.adminKeys or the engine's admin token); read at each (re)connect. */
  adminKey?: () => string | undefined | Promise<string | undefined>;
  /** A WebSocket class (the browser's by default; `ws` in Node). */
  WebSocketImpl?: typeof WebSocket;
  /** Reconnect delays: `initialMs` after the first drop, doubling up to `maxMs`. Default 250 ms … 10 s. */
  reconnectDelay?: { initialMs: number; maxMs: number };
}

type ConnectionState = 'connecting' | 'open' | 'closed';

/** The part of the WebSocket API used here; the browser's WebSocket and `ws` both have it. */
interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type SocketClass = new (url: string, protocols: string[]) => SocketLike;

const OPEN = 1;

interface PendingCall {
  resolve(result: unknown): void;
  reject(err: ApiCallError): void;
  /** The request, kept until the socket is open. */
  frame: string | null;
}

/**
 * The ApiTransport over the engine's WebSocket. Calls made while connecting wait for the socket;
 * calls made while disconnected, and calls in flight when the socket drops, reject with code
 * `unavailable` (a call may have run on the engine even so). Reconnects with capped exponential
 * backoff until close(); each new connection starts with a `state` event, so subscribers resync.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): ApiTransport {
  const Impl = (options.WebSocketImpl ?? globalThis.WebSocket) as unknown as SocketClass | undefined;
  if (!Impl) throw new Error('no WebSocket implementation here; pass WebSocketImpl (e.g. the `ws` package in Node)');
  const delay = options.reconnectDelay ?? { initialMs: 250, maxMs: 10_000 };
  const subscribers = new Set<(events: ApiEvent[]) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const pending = new Map<number, PendingCall>();
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let socket: SocketLike | null = null;
  let failedAttempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stoppedReason: string | null = null;

  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    for (const listener of [...connectionListeners]) listener(next);
  };

  const failAll = (message: string): void => {
    const calls = [...pending.values()];
    pending.clear();
    for (const call of calls) call.reject(new ApiCallError({ code: 'unavailable', message }));
  };

  const connect = (): void => {
    retryTimer = undefined;
    setState('connecting');
    let key: string | undefined | Promise<string | undefined>;
    try {
      key = options.adminKey?.();
    } catch {
      key = undefined;
    }
    // A key that must be fetched (the browser view asks /api/session) is awaited; a plain one is not.
    if (key instanceof Promise) {
      key.then(openSocket, () => openSocket(undefined));
    } else {
      openSocket(key);
    }
  };

  const openSocket = (key: string | undefined): void => {
    if (stoppedReason !== null) return;
    let current: SocketLike;
    try {
      current = new Impl(options.url, protocolsFor(key));
    } catch (err) {
      // A malformed URL or key does not get better by retrying.
      return stop(`cannot connect to ${options.url}: ${err instanceof Error ? err.message : String(err)}`, null);
    }
    socket = current;
    current.onopen = () => {
      failedAttempts = 0;
      setState('open');
      for (const call of pending.values()) {
        if (call.frame !== null) current.send(call.frame);
        call.frame = null;
      }
    };
    current.onmessage = (event) => {
      if (typeof event.data === 'string') onServerMessage(current, event.data);
    };
    // 'error' is always followed by 'close', which does the work.
    current.onerror = () => undefined;
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      failAll(stoppedReason ?? `the connection to the engine dropped (${options.url})`);
      setState('closed');
      if (stoppedReason === null) scheduleReconnect();
    };
  };

  const scheduleReconnect = (): void => {
    const waitMs = Math.min(delay.maxMs, delay.initialMs * 2 ** failedAttempts);
    failedAttempts += 1;
    retryTimer = setTimeout(connect, waitMs);
  };

  const onServerMessage = (from: SocketLike, text: string): void => {
    let message: ApiServerMessage;
    try {
      message = JSON.parse(text) as ApiServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        if (message.protocol !== API_PROTOCOL_VERSION) {
          stop(`the engine speaks protocol ${message.protocol}, this client ${API_PROTOCOL_VERSION}; reload the page`, from);
        }
        return;
      case 'result':
        return settle(message.id, (call) => call.resolve(message.result));
      case 'error':
        return settle(message.id, (call) => call.reject(new ApiCallError(message.error)));
      case 'events':
        return deliver(message.events);
    }
  };

  const settle = (id: number, action: (call: PendingCall) => void): void => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    action(call);
  };

  const deliver = (events: ApiEvent[]): void => {
    for (const listener of [...subscribers]) {
      try {
        listener(events);
      } catch (err) {
        // One broken subscriber must not starve the others; the error still surfaces.
        setTimeout(() => {
          throw err;
        });
      }
    }
  };

  const stop = (reason: string, current: SocketLike | null): void => {
    stoppedReason = reason;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    socket = null;
    current?.close(1000);
    failAll(reason);
    setState('closed');
  };

  connect();

  return {
    kind: 'websocket',
    call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
      // While connecting (the key may still be on its way, so there may be no socket yet) calls queue.
      if (stoppedReason !== null || state === 'closed') {
        const message = stoppedReason ?? `not connected to the engine (${options.url}); reconnecting`;
        return Promise.reject(new ApiCallError({ code: 'unavailable', message }));
      }
      const id = nextId++;
      const frame = JSON.stringify({ type: 'call', id, method, params: params ?? {} });
      return new Promise<ApiResult<M>>((resolve, reject) => {
        const isOpen = socket !== null && socket.readyState === OPEN;
        pending.set(id, { resolve: resolve as (result: unknown) => void, reject, frame: isOpen ? null : frame });
        if (isOpen) socket!.send(frame);
      });
    },
    subscribe(listener) {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
    close() {
      if (stoppedReason === null) stop('the engine connection was closed', socket);
    },
  };
}

/** `switchboard.v1`, plus the key as a second subprotocol when there is one. */
function protocolsFor(adminKey: string | undefined): string[] {
  return adminKey ? [WEBSOCKET_SUBPROTOCOL, WEBSOCKET_KEY_PROTOCOL_PREFIX + toBase64Url(adminKey)] : [WEBSOCKET_SUBPROTOCOL];
}

/** UTF-8 bytes as unpadded base64url (subprotocol names allow only token characters). */
function toBase64Url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
