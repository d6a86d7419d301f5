import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { startEngineHost, type EngineHost } from './start-engine-host.js';

// X forwarding and machines without a usable GPU: `--disable-gpu` (or SWITCHBOARD_SOFTWARE_RENDERING=1).
if (process.argv.includes('--disable-gpu') || process.env.SWITCHBOARD_SOFTWARE_RENDERING === '1') app.disableHardwareAcceleration();

let host: EngineHost | undefined;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.show());
  void app.whenReady().then(async () => {
    host = await startEngineHost(process.argv);
    createWindow(host.url);
  });
  app.on('before-quit', () => void host?.close());
}

function createWindow(engineUrl: string): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'SGLang Switchboard',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  const query = { engine: engineUrl };
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(`${process.env.ELECTRON_RENDERER_URL}?engine=${encodeURIComponent(engineUrl)}`);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'), { query });
}
