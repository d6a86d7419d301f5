import { Suspense, lazy, useCallback, useEffect, useLayoutEffect, useRef, useState, type ComponentType } from 'react';
import type { EngineSetup } from '../../shared/engine-state.js';
import { apiHub, type ApiHub } from './api/api-hub.js';
import { useEngineStore } from './engine/engine-store.js';
import { AppHeader } from './shell/app-header.js';
import { ConnectionBanner } from './shell/connection-banner.js';
import { NoticeBanner } from './shell/notice-banner.js';
import { Toasts } from './shell/toasts.js';
import { applyTheme, useThemeStore } from './shell/theme-store.js';
import { useScreenHotkeys } from './shell/use-screen-hotkeys.js';
import { browserDesktop, startSwitchNotifier } from './switch/switch-notifier.js';
import { appSwitchStore } from './switch/switch-store.js';

/**
 * A screen loaded on first use: its module (and the libraries only it needs: xterm for Logs, uPlot
 * for GPUs and Throughput) is a chunk of its own, so the first screen's JS stays small. `load`
 * fetches it early (a hover or focus on its link); a screen fetched already renders at once, without
 * its placeholder (React.lazy takes a thenable that resolves synchronously as loaded).
 */
function lazyScreen<P extends object = object>(load: () => Promise<ComponentType<P>>): { component: ComponentType<P>; load: () => Promise<unknown> } {
  type Module = { default: ComponentType<P> };
  let loaded: Module | undefined;
  let loading: Promise<Module> | undefined;
  const fetch = () => (loading ??= load().then((component) => (loaded = { default: component })));
  const ready = (module: Module) => ({ then: (resolve: (m: Module) => void) => resolve(module) }) as unknown as Promise<Module>;
  return { component: lazy(() => (loaded ? ready(loaded) : fetch())), load: fetch };
}

const models = lazyScreen(() => import('./models/models-screen.js').then((m) => m.ModelsScreen as ComponentType));
const switchScreen = lazyScreen(() => import('./switch/switch-screen.js').then((m) => m.SwitchScreen));
const logs = lazyScreen(() => import('./logs/logs-screen.js').then((m) => m.LogsScreen));
const gpus = lazyScreen(() => import('./gpus/gpus-screen.js').then((m) => m.GpusScreen as ComponentType));
const throughput = lazyScreen(() => import('./throughput/throughput-screen.js').then((m) => m.ThroughputScreen as ComponentType));
const requests = lazyScreen(() => import('./requests/requests-screen.js').then((m) => m.RequestsScreen as ComponentType));
const settings = lazyScreen(() => import('./settings/settings-screen.js').then((m) => m.SettingsScreen as ComponentType));
/** Shown instead of the screens while the engine runs without a catalog file (first run). */
export const FIRST_RUN_SCREEN = lazyScreen<{ setup: EngineSetup }>(() => import('./first-run/first-run-screen.js').then((m) => m.FirstRunScreen));
const FirstRunScreen = FIRST_RUN_SCREEN.component;

/** The app's screens, in navigation order; Alt+1…7 jump to them (Requests last, so Settings keeps Alt+6). */
export const SCREENS: { id: ScreenId; label: string; component: ComponentType; load: () => Promise<unknown> }[] = [
  { id: 'models', label: 'Models', ...models },
  { id: 'switch', label: 'Switch', ...switchScreen },
  { id: 'logs', label: 'Logs', ...logs },
  { id: 'gpus', label: 'GPUs', ...gpus },
  { id: 'throughput', label: 'Throughput', ...throughput },
  { id: 'settings', label: 'Settings', ...settings },
  { id: 'requests', label: 'Requests', ...requests },
];

export type ScreenId = 'models' | 'switch' | 'logs' | 'gpus' | 'throughput' | 'settings' | 'requests';

/**
 * The shell: header, connection banner, navigation and the current screen; wires the engine store and
 * the switch notifier. While the engine runs without a catalog file (its state has `setup`), the
 * first-run screen takes the place of the navigation and the screens.
 */
export function App({ hub }: { hub?: ApiHub } = {}) {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash());
  const setup = useEngineStore((s) => s.state?.setup ?? null);
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
  useScreenHotkeys(setup ? 0 : SCREENS.length, select);
  const current = SCREENS.find((s) => s.id === screen)!;
  const Current = current.component;
  return (
    <div className={setup ? 'app app-first-run' : 'app'}>
      <a
        className="skip-link"
        href="#main-content"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main-content')?.focus();
        }}
      >
        Skip to content
      </a>
      <AppHeader />
      <div className="banners">
        <ConnectionBanner />
        <NoticeBanner />
      </div>
      {!setup && (
        <nav className="app-nav" aria-label="Screens" ref={navRef}>
          {SCREENS.map((s, i) => (
            <a
              key={s.id}
              href={`#${s.id}`}
              aria-current={s.id === screen ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${i + 1}`}
              title={`${s.label} (Alt+${i + 1})`}
              data-testid={`nav-${s.id}`}
              onMouseEnter={() => void s.load()}
              onFocus={() => void s.load()}
            >
              <span className="nav-label">{s.label}</span>
              <kbd className="nav-key" aria-hidden="true">
                {i + 1}
              </kbd>
            </a>
          ))}
        </nav>
      )}
      <main className="app-main" id="main-content" tabIndex={-1} aria-label={setup ? 'First run' : current.label}>
        {setup ? (
          <Suspense fallback={<ScreenLoading label="the first-run screen" />}>
            <FirstRunScreen setup={setup} />
          </Suspense>
        ) : (
          // Keyed by screen: a screen still loading shows its own placeholder, not the previous screen.
          <Suspense key={current.id} fallback={<ScreenLoading label={current.label} />}>
            <Current />
          </Suspense>
        )}
      </main>
      <Toasts />
    </div>
  );
}

/** What a screen shows while its code is fetched (a few ms locally; longer on a slow link to a remote engine). */
function ScreenLoading({ label }: { label: string }) {
  return (
    <p className="screen-loading dim" role="status" aria-live="polite" aria-busy="true" data-testid="screen-loading">
      Loading {label}…
    </p>
  );
}

function screenFromHash(): ScreenId {
  const id = location.hash.slice(1);
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : 'models';
}
