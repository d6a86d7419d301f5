import { app, dialog, Menu } from 'electron';
import { join } from 'node:path';
import { appMenuTemplate } from './app-menu.js';
import { appPaths, isSoftwareRenderingRequested } from './app-paths.js';
import { startDesktopShell, type DesktopShell } from './desktop-shell.js';
import { startEngineHost, type EngineHost } from './start-engine-host.js';

/**
 * How long Quit waits for the engine before leaving anyway. The supervisor itself SIGKILLs the engine
 * process after 60 s and sweeps the SGLang servers it recorded; this is the last guard above that.
 */
const ENGINE_CLOSE_TIMEOUT_MS = 75_000;

if (isSoftwareRenderingRequested(process.argv, process.env)) {
  app.disableHardwareAcceleration();
  app.commandLine.appendSwitch('disable-gpu');
  app.commandLine.appendSwitch('disable-gpu-compositing');
}
// Chromium's profile must not land beside the catalog in ~/.config/sglang-switchboard/ (app.name).
app.setPath('userData', join(app.getPath('appData'), 'SGLang Switchboard'));

let host: EngineHost | undefined;
let shell: DesktopShell | undefined;
let engineClosed = false;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => shell?.showWindow());
  // Closing the window hides it to the tray; the app (and the router) keeps running.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    shell?.markQuitting();
    if (!host || engineClosed) return;
    event.preventDefault();
    void closeEngine(host).finally(() => app.quit());
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate()));
  try {
    host = await startEngineHost(process.argv);
  } catch (err) {
    dialog.showErrorBox(
      'SGLang Switchboard could not start',
      `${err instanceof Error ? err.message : String(err)}\n\nPick a catalog with --config FILE (an example: resources/switchboard.example.yaml).`,
    );
    app.exit(1);
    return;
  }
  shell = startDesktopShell(host, appPaths(import.meta.dirname));
}

let closing: Promise<void> | undefined;
function closeEngine(engineHost: EngineHost): Promise<void> {
  closing ??= (async () => {
    shell?.dispose();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, ENGINE_CLOSE_TIMEOUT_MS).unref());
    await Promise.race([engineHost.close().catch((err: unknown) => console.error('switchboard: closing the engine failed', err)), timeout]);
    engineClosed = true;
  })();
  return closing;
}
