import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { EngineState } from '../../shared/engine-state.js';
import { throttleLatest } from './throttle-latest.js';
import { trayMenuItems, trayTooltip, type TrayEngineProcess, type TrayIntent, type TrayItem } from './tray-menu.js';

export interface AppTray {
  /** The newest engine state (null: not reachable), and why when the app's own engine process is not serving; applied at most twice a second. */
  update(state: EngineState | null, engineProcess?: TrayEngineProcess | null): void;
  destroy(): void;
}

/** The tray icon and its menu, built from tray-menu.ts; clicks become intents for the shell. */
export function createAppTray(iconPath: string, onIntent: (intent: TrayIntent) => void): AppTray {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.on('click', () => onIntent({ kind: 'show' }));
  let lastMenu = '';
  let lastState: EngineState | null = null;
  let lastProcess: TrayEngineProcess | null = null;
  // Electron flips a checkbox item when it is clicked: rebuild from the engine's state after every click.
  const clicked = (intent: TrayIntent): void => {
    lastMenu = '';
    apply(lastState, lastProcess);
    onIntent(intent);
  };
  const apply = (state: EngineState | null, engineProcess: TrayEngineProcess | null = null): void => {
    lastState = state;
    lastProcess = engineProcess;
    tray.setToolTip(trayTooltip(state, engineProcess));
    const items = trayMenuItems(state, engineProcess);
    const key = JSON.stringify(items);
    // Rebuilding an identical menu makes some trays (AppIndicator) flicker and close it.
    if (key === lastMenu) return;
    lastMenu = key;
    tray.setContextMenu(Menu.buildFromTemplate(items.map((item) => toMenuItem(item, clicked))));
  };
  apply(null);
  const update = throttleLatest(([state, engineProcess]: [EngineState | null, TrayEngineProcess | null]) => apply(state, engineProcess), 500);
  return {
    update: (state, engineProcess = null) => update([state, engineProcess]),
    destroy: () => {
      update.cancel();
      tray.destroy();
    },
  };
}

function toMenuItem(item: TrayItem, onIntent: (intent: TrayIntent) => void): MenuItemConstructorOptions {
  if (item.type === 'separator') return { type: 'separator' };
  const intent = item.intent;
  return {
    type: item.type,
    label: item.label,
    ...(item.checked !== undefined ? { checked: item.checked } : {}),
    enabled: item.enabled ?? true,
    ...(intent ? { click: () => onIntent(intent) } : {}),
  };
}
