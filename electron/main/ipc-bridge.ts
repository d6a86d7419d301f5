import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import {
  IPC_CALL_CHANNEL,
  IPC_CONNECTION_CHANNEL,
  IPC_EVENTS_CHANNEL,
  IPC_RESTART_ENGINE_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  type ApiEvent,
  type ApiHandlers,
  type IpcConnectionMessage,
} from '../../shared/switchboard-api.js';
import { dispatchApiCall } from '../engine/api/dispatch-api-call.js';
import type { IpcCallReply } from '../preload/ipc-transport.js';
import { IpcEventFanout, parseSubscribeMessage } from './ipc-event-fanout.js';
import { isTrustedSender, type RendererOrigin } from './renderer-origin.js';

export interface IpcBridge {
  /** Queues an engine event for every subscribed renderer (batched per tick). */
  publish(event: ApiEvent): void;
  /** The engine connection changed: every subscribed renderer is told (and a new one asks for it). */
  setConnection(message: IpcConnectionMessage): void;
  dispose(): void;
}

export interface IpcBridgeOptions {
  /** Restarts the app's engine process (absent when attached to someone else's engine). */
  restartEngine?: () => Promise<void>;
}

/**
 * The main side of the IPC transport: calls go through dispatchApiCall (validated params,
 * `{ok, result | error}`, never a rejection), events through IpcEventFanout. Every message is
 * checked to come from our window's top frame showing our renderer (renderer-origin.ts).
 */
export function installIpcBridge(handlers: ApiHandlers, origin: RendererOrigin, isOurWebContents: (id: number) => boolean, options: IpcBridgeOptions = {}): IpcBridge {
  const fanout = new IpcEventFanout({ onDropped: (id, count) => console.warn(`switchboard: renderer ${id} is slow; dropped ${count} log/throughput events`) });
  const watched = new Set<number>();
  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => {
    if (isTrustedSender(event, isOurWebContents, origin)) return true;
    console.warn(`switchboard: refused IPC from ${event.senderFrame?.url ?? 'a destroyed frame'} (webContents ${event.sender.id})`);
    return false;
  };

  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method: unknown, params: unknown): Promise<IpcCallReply> => {
    if (!trusted(event)) return { ok: false, error: { code: 'unauthorized', message: 'IPC refused: not from the Switchboard window' } };
    return dispatchApiCall(handlers, method, params);
  });

  const onSubscribe = (event: IpcMainEvent, raw: unknown): void => {
    const message = parseSubscribeMessage(raw);
    if (!message || !trusted(event)) return;
    const contents = event.sender;
    if (message.op === 'ack') fanout.ack(contents.id, message.seq);
    else if (message.op === 'unsubscribe') fanout.unsubscribe(contents.id);
    else {
      fanout.subscribe(contents.id, sinkOf(contents));
      if (!watched.has(contents.id)) {
        watched.add(contents.id);
        contents.once('destroyed', () => fanout.unsubscribe(contents.id));
      }
    }
  };
  ipcMain.on(IPC_SUBSCRIBE_CHANNEL, onSubscribe);

  let connection: IpcConnectionMessage = { state: 'connecting' };
  const connectionSinks = new Map<number, WebContents>();
  ipcMain.handle(IPC_CONNECTION_CHANNEL, (event): IpcConnectionMessage | null => {
    if (!trusted(event)) return null;
    connectionSinks.set(event.sender.id, event.sender);
    return connection;
  });
  ipcMain.handle(IPC_RESTART_ENGINE_CHANNEL, async (event): Promise<void> => {
    if (!trusted(event) || !options.restartEngine) return;
    await options.restartEngine();
  });

  return {
    publish: (event) => fanout.publish(event),
    setConnection: (message) => {
      connection = message;
      for (const [id, contents] of connectionSinks) {
        if (contents.isDestroyed()) connectionSinks.delete(id);
        else contents.send(IPC_CONNECTION_CHANNEL, message);
      }
    },
    dispose: () => {
      ipcMain.removeHandler(IPC_CONNECTION_CHANNEL);
      ipcMain.removeHandler(IPC_RESTART_ENGINE_CHANNEL);
      ipcMain.removeHandler(IPC_CALL_CHANNEL);
      ipcMain.off(IPC_SUBSCRIBE_CHANNEL, onSubscribe);
    },
  };
}

function sinkOf(contents: WebContents) {
  return { send: (batch: unknown) => contents.send(IPC_EVENTS_CHANNEL, batch), isDestroyed: () => contents.isDestroyed() };
}
