import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  API_METHOD_NAMES,
  IPC_CALL_CHANNEL,
  IPC_CONNECTION_CHANNEL,
  IPC_EVENTS_CHANNEL,
  IPC_RESTART_ENGINE_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  type ApiEvent,
  type ApiHandlers,
} from '../../shared/switchboard-api.js';
import { EngineError } from '../../shared/engine-error.js';

const electron = vi.hoisted(() => ({
  handles: new Map<string, (...args: unknown[]) => unknown>(),
  listeners: new Map<string, (...args: unknown[]) => void>(),
}));
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => electron.handles.set(channel, fn),
    removeHandler: (channel: string) => electron.handles.delete(channel),
    on: (channel: string, fn: (...args: unknown[]) => void) => electron.listeners.set(channel, fn),
    off: (channel: string) => electron.listeners.delete(channel),
  },
}));

const { installIpcBridge } = await import('../../electron/main/ipc-bridge.js');
const { rendererOrigin } = await import('../../electron/main/renderer-origin.js');

const INDEX = '/app/out/renderer/index.html';
const origin = rendererOrigin(INDEX, {});
const OUR_PAGE = 'file:///app/out/renderer/index.html#models';

/** A webContents stand-in: what the bridge reads and calls. */
function webContents(id: number) {
  const destroyed: Array<() => void> = [];
  return { id, send: vi.fn(), isDestroyed: () => false, once: (_e: string, fn: () => void) => destroyed.push(fn), destroy: () => destroyed.forEach((fn) => fn()) };
}
function ipcEvent(contents: ReturnType<typeof webContents>, url = OUR_PAGE) {
  return { sender: contents, senderFrame: { url, parent: null } };
}

/** Handlers that echo their method and params; models.switchTo fails like the engine does. */
function echoHandlers(): ApiHandlers {
  const handlers = Object.fromEntries(API_METHOD_NAMES.map((m) => [m, vi.fn(async (params: unknown) => ({ method: m, params }))]));
  handlers['models.switchTo'] = vi.fn(async () => {
    throw new EngineError('unknown_model', 'no model "nope"', { known: ['qwen'] });
  });
  return handlers as unknown as ApiHandlers;
}

const catalogEvent: ApiEvent = { type: 'catalog', revision: 'c'.repeat(64) };
let bridge: ReturnType<typeof installIpcBridge>;
let handlers: ApiHandlers;
const ours = webContents(3);

beforeEach(() => {
  handlers = echoHandlers();
  bridge = installIpcBridge(handlers, origin, (id) => id === ours.id);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  bridge.dispose();
  vi.restoreAllMocks();
});

const call = (event: unknown, method: unknown, params: unknown) => electron.handles.get(IPC_CALL_CHANNEL)!(event, method, params);
const subscribeMessage = (event: unknown, message: unknown) => electron.listeners.get(IPC_SUBSCRIBE_CHANNEL)!(event, message);
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('installIpcBridge: calls', () => {
  it('dispatches a call from our page and answers {ok, result}', async () => {
    await expect(call(ipcEvent(ours), 'logs.tail', { tail: 5 })).resolves.toEqual({ ok: true, result: { method: 'logs.tail', params: { tail: 5 } } });
  });

  it('answers engine errors as {ok: false, error} with their code (never a rejection)', async () => {
    await expect(call(ipcEvent(ours), 'models.switchTo', { model: 'nope' })).resolves.toEqual({
      ok: false,
      error: { code: 'unknown_model', message: 'no model "nope"', details: { known: ['qwen'] } },
    });
    await expect(call(ipcEvent(ours), 'models.switchTo', { model: 3 })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    await expect(call(ipcEvent(ours), 'shell.exec', {})).resolves.toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it.each([
    ['another webContents', ipcEvent(webContents(9))],
    ['another page', ipcEvent(ours, 'https://example.com/')],
    ['devtools', ipcEvent(ours, 'devtools://devtools/bundled/devtools_app.html')],
    ['an iframe', { sender: ours, senderFrame: { url: OUR_PAGE, parent: {} } }],
  ])('refuses %s without running the handler', async (_name, event) => {
    await expect(call(event, 'logs.tail', {})).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(handlers['logs.tail']).not.toHaveBeenCalled();
  });
});

describe('installIpcBridge: events', () => {
  it('sends batches to a subscribed page, the next one after its ack', async () => {
    const page = webContents(3);
    subscribeMessage(ipcEvent(page), { op: 'subscribe' });
    bridge.publish(catalogEvent);
    await nextTick();
    expect(page.send).toHaveBeenCalledWith(IPC_EVENTS_CHANNEL, { seq: 1, events: [catalogEvent] });
    bridge.publish(catalogEvent);
    await nextTick();
    expect(page.send).toHaveBeenCalledTimes(1);
    subscribeMessage(ipcEvent(page), { op: 'ack', seq: 1 });
    await nextTick();
    expect(page.send).toHaveBeenLastCalledWith(IPC_EVENTS_CHANNEL, { seq: 2, events: [catalogEvent] });
  });

  it('ignores subscriptions from strangers and stops sending to a destroyed page', async () => {
    const stranger = webContents(9);
    subscribeMessage(ipcEvent(stranger), { op: 'subscribe' });
    const page = webContents(3);
    subscribeMessage(ipcEvent(page), { op: 'subscribe' });
    page.destroy();
    bridge.publish(catalogEvent);
    await nextTick();
    expect(stranger.send).not.toHaveBeenCalled();
    expect(page.send).not.toHaveBeenCalled();
  });

  it('dispose removes the channels', () => {
    bridge.dispose();
    expect(electron.handles.has(IPC_CALL_CHANNEL)).toBe(false);
    expect(electron.listeners.has(IPC_SUBSCRIBE_CHANNEL)).toBe(false);
    bridge = installIpcBridge(handlers, origin, () => true);
  });
});

describe('installIpcBridge: the engine connection', () => {
  const askConnection = (event: unknown) => electron.handles.get(IPC_CONNECTION_CHANNEL)!(event);

  it('answers the current connection and pushes each change to the windows that asked, ours only', async () => {
    expect(await askConnection(ipcEvent(ours))).toEqual({ state: 'connecting' });
    const stranger = webContents(9);
    expect(await askConnection(ipcEvent(stranger, 'https://evil.example/'))).toBeNull();

    const detail = { message: 'The engine stopped unexpectedly (exit code 1); restarting it in 500 ms…', canRestart: false };
    bridge.setConnection({ state: 'closed', detail });
    expect(ours.send).toHaveBeenLastCalledWith(IPC_CONNECTION_CHANNEL, { state: 'closed', detail });
    expect(stranger.send).not.toHaveBeenCalled();
    expect(await askConnection(ipcEvent(ours))).toEqual({ state: 'closed', detail });
  });

  it('restarts the engine process for our window only, and only when there is one', async () => {
    const restart = electron.handles.get(IPC_RESTART_ENGINE_CHANNEL)!;
    await restart(ipcEvent(ours)); // no restartEngine given: nothing to do, no throw
    bridge.dispose();
    const restartEngine = vi.fn(async () => undefined);
    bridge = installIpcBridge(handlers, origin, (id) => id === ours.id, { restartEngine });
    await electron.handles.get(IPC_RESTART_ENGINE_CHANNEL)!(ipcEvent(webContents(9), 'https://evil.example/'));
    expect(restartEngine).not.toHaveBeenCalled();
    await electron.handles.get(IPC_RESTART_ENGINE_CHANNEL)!(ipcEvent(ours));
    expect(restartEngine).toHaveBeenCalledTimes(1);
  });
});
