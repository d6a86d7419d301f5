import { app, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import type { EngineState, LoadRecord } from '../../shared/engine-state.js';
import type { ApiEvent, ConnectionDetail } from '../../shared/switchboard-api.js';
import { dispatchApiCall } from '../engine/api/dispatch-api-call.js';
import type { AppPaths } from './app-paths.js';
import { installIpcBridge } from './ipc-bridge.js';
import { loadNotification, wakeNotification } from './load-notification.js';
import { createMainWindow } from './main-window.js';
import { showNotice } from './notify.js';
import { rendererOrigin } from './renderer-origin.js';
import type { EngineHost } from './start-engine-host.js';
import { createAppTray } from './tray.js';
import type { TrayIntent } from './tray-menu.js';

/** What index.ts holds once the app runs. */
export interface DesktopShell {
  showWindow(): void;
  /** From now on closing the window closes it (the app is quitting). */
  markQuitting(): void;
  /** Stops events, IPC and the tray and hides the window (the app is about to quit). */
  dispose(): void;
}

/** The window, tray, IPC bridge and notifications around one engine host. */
export function startDesktopShell(host: EngineHost, paths: AppPaths): DesktopShell {
  let quitting = false;
  let latestState: EngineState | null = null;
  const origin = rendererOrigin(paths.indexHtml);
  const win: BrowserWindow = createMainWindow({
    preloadPath: paths.preload,
    indexHtmlPath: paths.indexHtml,
    origin,
    iconPath: paths.icon(512),
    stateFile: join(app.getPath('userData'), 'window-state.json'),
    isQuitting: () => quitting,
    onQuitShortcut: () => app.quit(),
  });
  const windowContentsId = win.webContents.id;
  const engineProcess = host.engineProcess;
  const bridge = installIpcBridge(host.handlers, origin, (id) => id === windowContentsId, engineProcess ? { restartEngine: () => engineProcess.restart() } : {});

  const showWindow = (): void => {
    if (win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const runIntent = async (intent: TrayIntent): Promise<void> => {
    if (intent.kind === 'show') return showWindow();
    if (intent.kind === 'quit') return app.quit();
    if (intent.kind === 'restart-engine') return void (await engineProcess?.restart());
    // wait: false — the outcome arrives as a `load` event (and a notification when hidden).
    const outcome = intent.kind === 'switch' ? await dispatchApiCall(host.handlers, 'models.switchTo', { model: intent.model, wait: false }) : await dispatchApiCall(host.handlers, 'models.stop', {});
    if (outcome.ok) return;
    const title = intent.kind === 'switch' ? `Could not switch to ${intent.model}` : 'Could not stop the model';
    showNotice({ title, body: outcome.error.message, failed: true }, paths.icon(256), showWindow);
  };
  const tray = createAppTray(paths.icon(32), (intent) => void runIntent(intent));

  // The engine connection as the window and the tray show it: the WebSocket's state, and what
  // happened to the engine process while it is not serving (crashed, restarting, gave up).
  let socket: 'connecting' | 'open' | 'closed' = 'connecting';
  const processDetail = (): ConnectionDetail | undefined => {
    const status = engineProcess?.status();
    if (!status || status.phase === 'running') return undefined;
    return { message: status.message, canRestart: status.phase === 'failed' };
  };
  const showConnection = (): void => {
    const detail = socket === 'open' ? undefined : processDetail();
    bridge.setConnection({ state: socket, ...(detail ? { detail } : {}) });
    // Open: refreshState() brings the tray the engine's state. Not open: say why, if we know.
    if (socket === 'closed' || detail) tray.update(null, detail ?? null);
  };
  const refreshState = async (): Promise<void> => {
    const outcome = await dispatchApiCall(host.handlers, 'state.get', {});
    latestState = outcome.ok ? (outcome.result as EngineState) : null;
    tray.update(latestState, latestState ? null : (processDetail() ?? null));
  };
  const notifyLoad = async (record: LoadRecord): Promise<void> => {
    // Read now: by the time a fresh state arrives the user may have looked.
    const attention = { visible: win.isVisible() && !win.isMinimized(), focused: win.isFocused() };
    if (record.outcome === 'failed') await refreshState(); // the hint is in the model's lastFailure
    const notice = loadNotification(record, latestState, attention);
    if (notice) showNotice(notice, paths.icon(256), showWindow);
  };
  const onEvent = (event: ApiEvent): void => {
    bridge.publish(event);
    if (event.type === 'state') {
      latestState = event.state;
      tray.update(event.state);
    } else if (event.type === 'load') void notifyLoad(event.record);
    else if (event.type === 'swap') {
      const notice = wakeNotification(event.record, latestState, { visible: win.isVisible() && !win.isMinimized(), focused: win.isFocused() });
      if (notice) showNotice(notice, paths.icon(256), showWindow);
    }
  };
  const unsubscribe = host.subscribe(onEvent);
  // Attached to a remote engine: the tray says when it is gone, and resyncs when it is back.
  const stopWatchingConnection = host.onConnection?.((connection) => {
    socket = connection;
    showConnection();
    if (connection === 'open') void refreshState();
  });
  let lastCrashAt: number | null = null;
  const stopWatchingProcess = engineProcess?.onStatus((status) => {
    showConnection();
    // A crash is news even with the window hidden: the tray icon alone does not say it.
    const exit = status.lastExit;
    if (exit && exit.atMs !== lastCrashAt && (status.phase === 'restarting' || status.phase === 'failed')) {
      lastCrashAt = exit.atMs;
      showNotice({ title: status.phase === 'failed' ? 'The engine keeps stopping' : 'The engine stopped unexpectedly', body: status.message, failed: true }, paths.icon(256), showWindow);
    }
  });
  if (!host.onConnection) socket = 'open';
  showConnection();
  void refreshState();

  return {
    showWindow,
    markQuitting: () => {
      quitting = true;
    },
    dispose: () => {
      unsubscribe();
      stopWatchingConnection?.();
      stopWatchingProcess?.();
      bridge.dispose();
      tray.destroy();
      // Quitting may take a while (SGLang stops first): the window goes at once.
      if (!win.isDestroyed()) win.hide();
    },
  };
}
