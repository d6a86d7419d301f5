import { BrowserWindow, screen, session, shell, type WebContents } from 'electron';
import { isExternalLink, isRendererUrl, type RendererOrigin } from './renderer-origin.js';
import { fitWindowState, readWindowState, writeWindowState } from './window-state-store.js';

export interface MainWindowOptions {
  preloadPath: string;
  indexHtmlPath: string;
  origin: RendererOrigin;
  iconPath: string;
  /** Where the bounds are remembered (in userData). */
  stateFile: string;
  /** True once the user really quits: then closing closes; before, it hides to the tray. */
  isQuitting(): boolean;
  /** Ctrl+Q in the window (also the menu's accelerator; this works with the menu bar hidden too). */
  onQuitShortcut(): void;
}

const DEFAULT_SIZE = { width: 1280, height: 800 };
const MIN_SIZE = { width: 720, height: 480 };

/** The app window: sandboxed renderer, remembered bounds, close-to-tray, no navigation away. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const saved = readWindowState(options.stateFile);
  const state = saved
    ? fitWindowState(
        saved,
        screen.getAllDisplays().map((d) => d.workArea),
        MIN_SIZE,
      )
    : { ...DEFAULT_SIZE, maximized: false };
  const win = new BrowserWindow({
    ...state,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'SGLang Switchboard',
    icon: options.iconPath,
    show: false,
    autoHideMenuBar: true,
    webPreferences: { preload: options.preloadPath, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, spellcheck: false },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  lockDown(win.webContents, options.origin);
  win.webContents.on('before-input-event', (event, input) => {
    if (!isQuitShortcut(input)) return;
    event.preventDefault();
    options.onQuitShortcut();
  });

  let saveTimer: NodeJS.Timeout | undefined;
  const save = (): void => {
    clearTimeout(saveTimer);
    try {
      writeWindowState(options.stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() });
    } catch (err) {
      console.warn(`switchboard: could not remember the window's size in ${options.stateFile}: ${String(err)}`);
    }
  };
  const saveSoon = (): void => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 500);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('maximize', saveSoon);
  win.on('unmaximize', saveSoon);
  win.on('close', (event) => {
    save();
    if (options.isQuitting()) return;
    // The router keeps serving Open WebUI; Quit (tray, Ctrl+Q) really quits.
    event.preventDefault();
    win.hide();
  });

  if (options.origin.kind === 'dev') void win.loadURL(options.origin.url);
  else void win.loadFile(options.indexHtmlPath);
  return win;
}

/** Ctrl+Q pressed (no other modifier). */
export function isQuitShortcut(input: { type: string; key: string; control: boolean; alt: boolean; shift: boolean; meta: boolean }): boolean {
  return input.type === 'keyDown' && input.control && !input.alt && !input.shift && !input.meta && input.key.toLowerCase() === 'q';
}

/** Our page may not go anywhere else, open windows, embed webviews or ask for permissions. */
function lockDown(contents: WebContents, origin: RendererOrigin): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const stayHome = (event: { preventDefault(): void }, url: string): void => {
    if (!isRendererUrl(url, origin)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
}
