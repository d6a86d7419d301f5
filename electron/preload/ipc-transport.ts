// The renderer's side of the Electron IPC bridge, kept free of `electron` so it is testable in
// plain Node: index.ts hands it the real ipcRenderer and exposes the result through contextBridge.
import type { ApiError } from '../../shared/engine-state.js';
import {
  IPC_CALL_CHANNEL,
  IPC_CONNECTION_CHANNEL,
  IPC_EVENTS_CHANNEL,
  IPC_RESTART_ENGINE_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  type ApiEvent,
  type ApiTransport,
  type IpcConnectionMessage,
} from '../../shared/switchboard-api.js';

/** The part of ipcRenderer this transport uses (never exposed to the page itself). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** What main answers on IPC_CALL_CHANNEL: dispatchApiCall's outcome, never a rejection. */
export type IpcCallReply = { ok: true; result: unknown } | { ok: false; error: ApiError };

/** One delivery on IPC_EVENTS_CHANNEL; the renderer acks `seq` once its listeners have run. */
export interface IpcEventBatch {
  seq: number;
  events: ApiEvent[];
}

/** Renderer → main on IPC_SUBSCRIBE_CHANNEL. Main sends the next batch only after the ack of the last one. */
export type IpcSubscribeMessage = { op: 'subscribe' } | { op: 'unsubscribe' } | { op: 'ack'; seq: number };

/**
 * What a failed call rejects with: a plain object with ApiCallError's fields (name 'ApiCallError',
 * code, message, details). contextBridge copies a thrown Error as a new Error carrying only its
 * message, so an ApiCallError instance would lose `code` and `details`; a plain object is copied
 * whole. The page side turns it back into an ApiCallError (`new ApiCallError(err)`) where it
 * picks up `window.switchboard`, so `instanceof ApiCallError` holds for both transports.
 */
export interface BridgedApiError extends ApiError {
  name: 'ApiCallError';
}

/** The ApiTransport the preload exposes as `window.switchboard`: generic over every method and event. */
export function createIpcTransport(ipc: IpcRendererLike): ApiTransport {
  const listeners = new Set<(events: ApiEvent[]) => void>();
  const onBatch = (_event: unknown, ...args: unknown[]): void => {
    const batch = args[0] as IpcEventBatch;
    for (const listener of listeners) {
      try {
        listener(batch.events);
      } catch (err) {
        // A broken listener must not stop the others, nor the ack that lets main send more.
        console.error('switchboard: an event listener threw', err);
      }
    }
    ipc.send(IPC_SUBSCRIBE_CHANNEL, { op: 'ack', seq: batch.seq } satisfies IpcSubscribeMessage);
  };

  return {
    kind: 'ipc',
    async call(method, params) {
      const reply = (await ipc.invoke(IPC_CALL_CHANNEL, method, params)) as IpcCallReply;
      if (reply.ok) return reply.result as never;
      throw bridgedError(reply.error);
    },
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        ipc.on(IPC_EVENTS_CHANNEL, onBatch);
        ipc.send(IPC_SUBSCRIBE_CHANNEL, { op: 'subscribe' } satisfies IpcSubscribeMessage);
      }
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        ipc.removeListener(IPC_EVENTS_CHANNEL, onBatch);
        ipc.send(IPC_SUBSCRIBE_CHANNEL, { op: 'unsubscribe' } satisfies IpcSubscribeMessage);
      };
    },
    onConnection(listener) {
      // IPC to main cannot drop; what can is main's connection to the engine process it supervises.
      let stopped = false;
      const deliver = (message: IpcConnectionMessage): void => {
        if (!stopped) listener(message.state, message.detail);
      };
      const onMessage = (_event: unknown, ...args: unknown[]): void => deliver(args[0] as IpcConnectionMessage);
      ipc.on(IPC_CONNECTION_CHANNEL, onMessage);
      void ipc.invoke(IPC_CONNECTION_CHANNEL).then((current) => deliver(current as IpcConnectionMessage));
      return () => {
        stopped = true;
        ipc.removeListener(IPC_CONNECTION_CHANNEL, onMessage);
      };
    },
    async restartEngine() {
      await ipc.invoke(IPC_RESTART_ENGINE_CHANNEL);
    },
  };
}

function bridgedError(error: ApiError): BridgedApiError {
  return { name: 'ApiCallError', code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
}
