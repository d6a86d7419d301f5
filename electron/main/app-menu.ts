import type { MenuItemConstructorOptions } from 'electron';

/**
 * The window's menu (hidden until Alt is pressed; its accelerators always work): Ctrl+Q really
 * quits (engine and router stop), Ctrl+W only hides the window to the tray.
 */
export function appMenuTemplate(): MenuItemConstructorOptions[] {
  return [
    { label: '&File', submenu: [{ role: 'close', label: 'Close to Tray', accelerator: 'CmdOrCtrl+W' }, { type: 'separator' }, { role: 'quit', accelerator: 'CmdOrCtrl+Q' }] },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
  ];
}
