import { describe, expect, it, vi } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_CONNECTION_CHANNEL, IPC_EVENTS_CHANNEL, IPC_RESTART_ENGINE_CHANNEL, IPC_SUBSCRIBE_CHANNEL, type ApiEvent } from '../../shared/switchboard-api.js';
import { createIpcTransport, type IpcCallReply, type IpcRendererLike } from '../../electron/preload/ipc-transport.js';

/** An ipcRenderer stand-in: records sends, answers invokes with `reply`, delivers events on demand. */
function fakeIpc(reply: (method: unknown, params: unknown) => IpcCallReply) {
  const sent: Array<[string, unknown]> = [];
  const invoked: Array<[string, unknown, unknown]> = [];
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const ipc: IpcRendererLike = {
    invoke: async (channel, method, params) => {
      invoked.push([channel, method, params]);
      return reply(method, params);
    },
    send: (channel, message) => void sent.push([channel, message]),
    on: (channel, listener) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
    removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
  };
  const deliver = (seq: number, events: ApiEvent[]) => listeners.get(IPC_EVENTS_CHANNEL)?.forEach((l) => l({ sender: 'not for the page' }, { seq, events }));
  const emit = (channel: string, message: unknown) => listeners.get(channel)?.forEach((l) => l({ sender: 'main' }, message));
  return { ipc, sent, invoked, deliver, emit, listenerCount: () => listeners.get(IPC_EVENTS_CHANNEL)?.size ?? 0 };
}

const catalogEvent: ApiEvent = { type: 'catalog', revision: 'b'.repeat(64) };

describe('createIpcTransport', () => {
  it('calls main on the call channel and returns the result', async () => {
    const fake = fakeIpc(() => ({ ok: true, result: [{ id: 'qwen' }] }));
    const transport = createIpcTransport(fake.ipc);
    expect(transport.kind).toBe('ipc');
    await expect(transport.call('models.list', {})).resolves.toEqual([{ id: 'qwen' }]);
    expect(fake.invoked).toEqual([[IPC_CALL_CHANNEL, 'models.list', {}]]);
  });

  it('rejects with a plain ApiCallError-shaped object (what survives contextBridge), code and details kept', async () => {
    const fake = fakeIpc(() => ({ ok: false, error: { code: 'unknown_model', message: 'no model "nope"', details: { known: ['qwen'] } } }));
    const err = await createIpcTransport(fake.ipc)
      .call('models.switchTo', { model: 'nope' })
      .catch((e: unknown) => e);
    expect(err).toEqual({ name: 'ApiCallError', code: 'unknown_model', message: 'no model "nope"', details: { known: ['qwen'] } });
    expect(Object.getPrototypeOf(err)).toBe(Object.prototype);
  });

  it('subscribes once for many listeners, acks each batch after the listeners ran, unsubscribes with the last', () => {
    const fake = fakeIpc(() => ({ ok: true, result: null }));
    const transport = createIpcTransport(fake.ipc);
    const a = vi.fn();
    const b = vi.fn(() => {
      throw new Error('broken listener');
    });
    const stopA = transport.subscribe(a);
    const stopB = transport.subscribe(b);
    expect(fake.sent).toEqual([[IPC_SUBSCRIBE_CHANNEL, { op: 'subscribe' }]]);
    expect(fake.listenerCount()).toBe(1);

    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    fake.deliver(1, [catalogEvent]);
    expect(a).toHaveBeenCalledWith([catalogEvent]);
    expect(b).toHaveBeenCalledTimes(1);
    expect(fake.sent.at(-1)).toEqual([IPC_SUBSCRIBE_CHANNEL, { op: 'ack', seq: 1 }]);

    stopA();
    stopA(); // twice is harmless
    expect(fake.sent.at(-1)).toEqual([IPC_SUBSCRIBE_CHANNEL, { op: 'ack', seq: 1 }]);
    stopB();
    expect(fake.sent.at(-1)).toEqual([IPC_SUBSCRIBE_CHANNEL, { op: 'unsubscribe' }]);
    expect(fake.listenerCount()).toBe(0);
  });

  it('reports main’s connection to its engine process: the current one first, then each change with what happened', async () => {
    const fake = fakeIpc(() => ({ ok: true, result: null }));
    fake.ipc.invoke = async (channel) => {
      fake.invoked.push([channel, undefined, undefined]);
      return channel === IPC_CONNECTION_CHANNEL ? { state: 'open' } : null;
    };
    const transport = createIpcTransport(fake.ipc);
    const seen: Array<[string, unknown]> = [];
    const stop = transport.onConnection!((state, detail) => seen.push([state, detail]));
    await vi.waitFor(() => expect(seen).toEqual([['open', undefined]]));
    const detail = { message: 'The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…', canRestart: false };
    fake.emit(IPC_CONNECTION_CHANNEL, { state: 'closed', detail });
    expect(seen.at(-1)).toEqual(['closed', detail]);
    stop();
    fake.emit(IPC_CONNECTION_CHANNEL, { state: 'open' });
    expect(seen).toHaveLength(2);

    await transport.restartEngine!();
    expect(fake.invoked.at(-1)?.[0]).toBe(IPC_RESTART_ENGINE_CHANNEL);
  });
});
