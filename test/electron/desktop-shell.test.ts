import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LoadRecord } from '../../shared/engine-state.js';
import { API_METHOD_NAMES, IPC_CALL_CHANNEL, type ApiEvent, type ApiHandlers } from '../../shared/switchboard-api.js';
import { engineState } from './engine-state-fixtures.js';
import type { EngineProcessStatus } from '../../electron/main/engine-supervisor.js';

// Electron, as far as the shell uses it: windows, tray, menus, notifications, IPC.
const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  class Emitter {
    readonly listeners = new Map<string, Listener[]>();
    on(name: string, fn: Listener) {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
      return this;
    }
    once(name: string, fn: Listener) {
      return this.on(name, fn);
    }
    emit(name: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(name) ?? []) fn(...args);
    }
  }
  const state = {
    windows: [] as FakeWindow[],
    trays: [] as FakeTray[],
    notifications: [] as FakeNotification[],
    handles: new Map<string, Listener>(),
    quit: 0,
    userData: '',
  };
  class FakeWebContents extends Emitter {
    readonly id = 42;
    setWindowOpenHandler = (_fn: unknown) => undefined;
    send = () => undefined;
    isDestroyed = () => false;
  }
  class FakeWindow extends Emitter {
    readonly webContents = new FakeWebContents();
    visible = false;
    focused = false;
    loaded: string | undefined;
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
    }
    isVisible = () => this.visible;
    isMinimized = () => false;
    isFocused = () => this.focused;
    isDestroyed = () => false;
    isMaximized = () => false;
    show = () => void (this.visible = true);
    hide = () => void (this.visible = false);
    focus = () => void (this.focused = true);
    restore = () => undefined;
    maximize = () => undefined;
    getNormalBounds = () => ({ x: 10, y: 20, width: 1280, height: 800 });
    loadFile = async (file: string) => void (this.loaded = file);
    loadURL = async (url: string) => void (this.loaded = url);
  }
  class FakeTray extends Emitter {
    tooltip = '';
    menu: Array<Record<string, unknown>> = [];
    constructor(readonly image: unknown) {
      super();
      state.trays.push(this);
    }
    setToolTip = (text: string) => void (this.tooltip = text);
    setContextMenu = (menu: Array<Record<string, unknown>>) => void (this.menu = menu);
    destroy = () => undefined;
  }
  class FakeNotification extends Emitter {
    static isSupported = () => true;
    shown = false;
    constructor(readonly options: { title: string; body: string }) {
      super();
      state.notifications.push(this);
    }
    show = () => void (this.shown = true);
  }
  return { state, FakeWindow, FakeTray, FakeNotification };
});

vi.mock('electron', () => ({
  app: { getPath: () => fake.state.userData, quit: () => void (fake.state.quit += 1) },
  BrowserWindow: fake.FakeWindow,
  Tray: fake.FakeTray,
  Notification: fake.FakeNotification,
  Menu: { buildFromTemplate: (template: unknown) => template },
  nativeImage: { createFromPath: (path: string) => ({ path }) },
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: { defaultSession: { setPermissionRequestHandler: () => undefined } },
  shell: { openExternal: async () => undefined },
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => void) => fake.state.handles.set(channel, fn),
    removeHandler: (channel: string) => fake.state.handles.delete(channel),
    on: () => undefined,
    off: () => undefined,
  },
}));

const { startDesktopShell } = await import('../../electron/main/desktop-shell.js');
const { appPaths } = await import('../../electron/main/app-paths.js');

const QWEN = 'qwen2.5-7b-instruct';
const userData = mkdtempSync(join(tmpdir(), 'sb-shell-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));

/** An engine host whose events the test emits and whose handlers record their calls. */
function fakeHost() {
  const listeners = new Set<(event: ApiEvent) => void>();
  const handlers = Object.fromEntries(API_METHOD_NAMES.map((m) => [m, vi.fn(async () => ({}))])) as unknown as Record<string, ReturnType<typeof vi.fn>>;
  handlers['state.get']!.mockImplementation(async () => engineState({ status: 'ready', modelId: QWEN }, { [QWEN]: { status: 'loaded' } }));
  return {
    host: {
      url: 'http://127.0.0.1:8002',
      attached: false,
      handlers: handlers as unknown as ApiHandlers,
      subscribe: (listener: (event: ApiEvent) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: async () => undefined,
    },
    handlers,
    emit: (event: ApiEvent) => listeners.forEach((l) => l(event)),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
let shell: ReturnType<typeof startDesktopShell> | undefined;

beforeEach(() => {
  fake.state.windows.length = 0;
  fake.state.trays.length = 0;
  fake.state.notifications.length = 0;
  fake.state.quit = 0;
  fake.state.userData = userData;
});
afterEach(() => {
  shell?.dispose();
  shell = undefined;
});

describe('startDesktopShell', () => {
  it('opens one sandboxed window on the built renderer, at 1280×800 with a minimum size', () => {
    const { host } = fakeHost();
    shell = startDesktopShell(host, appPaths('/app/out/main'));
    const [win] = fake.state.windows;
    expect(win!.options).toMatchObject({ width: 1280, height: 800, minWidth: 720, minHeight: 480, show: false });
    expect(win!.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    });
    expect(win!.loaded).toBe('/app/out/renderer/index.html');
    expect(fake.state.handles.has(IPC_CALL_CHANNEL)).toBe(true);
  });

  it('closing hides to the tray; Ctrl+Q quits', () => {
    const { host } = fakeHost();
    shell = startDesktopShell(host, appPaths('/app/out/main'));
    const win = fake.state.windows[0]!;
    win.show();
    const close = { preventDefault: vi.fn() };
    win.emit('close', close);
    expect(close.preventDefault).toHaveBeenCalled();
    expect(win.isVisible()).toBe(false);
    win.webContents.emit('before-input-event', { preventDefault: vi.fn() }, { type: 'keyDown', key: 'q', control: true, alt: false, shift: false, meta: false });
    expect(fake.state.quit).toBe(1);
    win.webContents.emit('before-input-event', { preventDefault: vi.fn() }, { type: 'keyDown', key: 'q', control: false, alt: false, shift: false, meta: false });
    expect(fake.state.quit).toBe(1);
    shell.markQuitting();
    const finalClose = { preventDefault: vi.fn() };
    win.emit('close', finalClose);
    expect(finalClose.preventDefault).not.toHaveBeenCalled();
  });

  it('the tray follows the engine state and its clicks switch, stop, show and quit', async () => {
    const { host, handlers } = fakeHost();
    shell = startDesktopShell(host, appPaths('/app/out/main'));
    await settle();
    const tray = fake.state.trays[0]!;
    expect(tray.tooltip).toBe('SGLang Switchboard — qwen ready');
    const item = (label: string) => tray.menu.find((i) => i.label === label) as { click(): void };
    item('Mistral Large 2411 (AWQ)').click();
    await settle();
    expect(handlers['models.switchTo']).toHaveBeenCalledWith({ model: 'mistral-large-2411-awq', wait: false });
    item('Stop model').click();
    await settle();
    expect(handlers['models.stop']).toHaveBeenCalled();
    item('Show window').click();
    expect(fake.state.windows[0]!.isVisible()).toBe(true);
    item('Quit SGLang Switchboard').click();
    expect(fake.state.quit).toBe(1);
  });

  it('a failed tray switch is told in a notification', async () => {
    const { host, handlers } = fakeHost();
    handlers['models.switchTo']!.mockRejectedValue(new Error('the engine is shutting down'));
    shell = startDesktopShell(host, appPaths('/app/out/main'));
    await settle();
    (fake.state.trays[0]!.menu.find((i) => i.label === 'KAT-Dev 72B') as { click(): void }).click();
    await settle();
    expect(fake.state.notifications.map((n) => n.options)).toMatchObject([{ title: 'Could not switch to kat-dev-awq-8bit', body: 'the engine is shutting down' }]);
  });

  it('notifies a finished load natively only while the window is hidden or unfocused', async () => {
    const { host, emit } = fakeHost();
    shell = startDesktopShell(host, appPaths('/app/out/main'));
    await settle();
    const record: LoadRecord = { modelId: QWEN, startedAtMs: 0, endedAtMs: 42_000, outcome: 'ready', cause: 'manual', phaseMs: {} };
    const win = fake.state.windows[0]!;
    win.visible = true;
    win.focused = true;
    emit({ type: 'load', record });
    await settle();
    expect(fake.state.notifications).toHaveLength(0);
    win.visible = false;
    emit({ type: 'load', record });
    await settle();
    expect(fake.state.notifications.map((n) => [n.options.title, n.options.body, n.shown])).toEqual([['Qwen2.5 7B Instruct is ready', 'Loaded in 0m42s', true]]);
    fake.state.notifications[0]!.emit('click');
    expect(win.isVisible()).toBe(true);
  });
});

describe('startDesktopShell: its own engine process', () => {
  it('a crash keeps the window, tells the tray and a notification why, and the tray offers a restart once the supervisor gave up', async () => {
    const { host } = fakeHost();
    const connectionListeners = new Set<(state: 'connecting' | 'open' | 'closed') => void>();
    const statusListeners = new Set<(status: EngineProcessStatus) => void>();
    let status: EngineProcessStatus = { phase: 'running', pid: 10, url: host.url, crashes: 0, lastExit: null, message: 'The engine runs.' };
    const restart = vi.fn(async () => undefined);
    const setStatus = (next: Partial<EngineProcessStatus>) => {
      status = { ...status, ...next };
      statusListeners.forEach((l) => l(status));
    };
    shell = startDesktopShell(
      {
        ...host,
        onConnection: (listener) => {
          connectionListeners.add(listener);
          return () => connectionListeners.delete(listener);
        },
        engineProcess: {
          status: () => status,
          onStatus: (listener) => {
            statusListeners.add(listener);
            return () => statusListeners.delete(listener);
          },
          restart,
        },
      },
      appPaths('/app/out/main'),
    );
    connectionListeners.forEach((l) => l('open'));
    await settle();
    const win = fake.state.windows[0]!;
    const tray = fake.state.trays[0]!;

    const lastExit = { code: null, signal: 'SIGKILL' as const, atMs: 1, output: [] };
    connectionListeners.forEach((l) => l('closed'));
    setStatus({ phase: 'restarting', pid: null, crashes: 1, lastExit, message: 'The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…' });
    await vi.waitFor(() => expect(tray.tooltip).toBe('SGLang Switchboard — The engine stopped unexpectedly (killed by SIGKILL); restarting it in 500 ms…'));
    expect(fake.state.notifications.map((n) => n.options.title)).toEqual(['The engine stopped unexpectedly']);
    expect(win.isDestroyed()).toBe(false);

    setStatus({ phase: 'failed', crashes: 6, lastExit: { ...lastExit, atMs: 2 }, message: 'The engine stopped unexpectedly 6 times within 60 s (last: exit code 1); not restarting it by itself.' });
    const restartItem = await vi.waitFor(
      () => {
        const item = tray.menu.find((i) => i.label === 'Restart engine');
        expect(item).toBeDefined();
        return item!;
      },
      { timeout: 2000 },
    );
    expect(fake.state.notifications.map((n) => n.options.title)).toEqual(['The engine stopped unexpectedly', 'The engine keeps stopping']);
    (restartItem.click as () => void)();
    await settle();
    expect(restart).toHaveBeenCalledTimes(1);
  });
});
