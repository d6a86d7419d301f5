import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ComponentType } from 'react';
import { apiHub, type ApiHub } from './api/api-hub.js';
import { useEngineStore } from './engine/engine-store.js';
import { GpusScreen } from './gpus/gpus-screen.js';
import { LogsScreen } from './logs/logs-screen.js';
import { ModelsScreen } from './models/models-screen.js';
import { SettingsScreen } from './settings/settings-screen.js';
import { AppHeader } from './shell/app-header.js';
import { ConnectionBanner } from './shell/connection-banner.js';
import { NoticeBanner } from './shell/notice-banner.js';
import { Toasts } from './shell/toasts.js';
import { applyTheme, useThemeStore } from './shell/theme-store.js';
import { useScreenHotkeys } from './shell/use-screen-hotkeys.js';
import { SwitchScreen } from './switch/switch-screen.js';
import { browserDesktop, startSwitchNotifier } from './switch/switch-notifier.js';
import { appSwitchStore } from './switch/switch-store.js';
import { ThroughputScreen } from './throughput/throughput-screen.js';

/** The app's screens, in navigation order; Alt+1…6 jump to them. */
export const SCREENS: { id: ScreenId; label: string; component: ComponentType }[] = [
  { id: 'models', label: 'Models', component: ModelsScreen },
  { id: 'switch', label: 'Switch', component: SwitchScreen },
  { id: 'logs', label: 'Logs', component: LogsScreen },
  { id: 'gpus', label: 'GPUs', component: GpusScreen },
  { id: 'throughput', label: 'Throughput', component: ThroughputScreen },
  { id: 'settings', label: 'Settings', component: SettingsScreen },
];

export type ScreenId = 'models' | 'switch' | 'logs' | 'gpus' | 'throughput' | 'settings';

/** The shell: header, connection banner, navigation and the current screen; wires the engine store and the switch notifier. */
export function App({ hub }: { hub?: ApiHub } = {}) {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash());
  const navRef = useRef<HTMLElement>(null);
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useLayoutEffect(() => applyTheme(useThemeStore.getState().choice), []);
  useEffect(() => {
    const engineHub = hub ?? apiHub();
    const offEngine = useEngineStore.getState().init(engineHub);
    const offNotifier = startSwitchNotifier(appSwitchStore(engineHub), browserDesktop(engineHub.transport.kind === 'ipc'));
    return () => {
      offNotifier();
      offEngine();
    };
  }, [hub]);
  const select = useCallback((index: number) => {
    const target = SCREENS[index]!;
    location.hash = target.id;
    // Keyboard users land on the link of the screen they chose.
    navRef.current?.querySelector<HTMLElement>(`a[href="#${target.id}"]`)?.focus();
  }, []);
  useScreenHotkeys(SCREENS.length, select);
  const Current = SCREENS.find((s) => s.id === screen)!.component;
  return (
    <div className="app">
      <a className="skip-link" href="#main-content" onClick={(e) => { e.preventDefault(); document.getElementById('main-content')?.focus(); }}>
        Skip to content
      </a>
      <AppHeader />
      <div className="banners">
        <ConnectionBanner />
        <NoticeBanner />
      </div>
      <nav className="app-nav" aria-label="Screens" ref={navRef}>
        {SCREENS.map((s, i) => (
          <a
            key={s.id}
            href={`#${s.id}`}
            aria-current={s.id === screen ? 'page' : undefined}
            aria-keyshortcuts={`Alt+${i + 1}`}
            title={`${s.label} (Alt+${i + 1})`}
            data-testid={`nav-${s.id}`}
          >
            <span className="nav-label">{s.label}</span>
            <kbd className="nav-key" aria-hidden="true">
              {i + 1}
            </kbd>
          </a>
        ))}
      </nav>
      <main className="app-main" id="main-content" tabIndex={-1} aria-label={SCREENS.find((s) => s.id === screen)!.label}>
        <Current />
      </main>
      <Toasts />
    </div>
  );
}

function screenFromHash(): ScreenId {
  const id = location.hash.slice(1);
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : 'models';
}
