import { useEffect, useState, type ComponentType } from 'react';
import { GpusScreen } from './gpus/gpus-screen.js';
import { LogsScreen } from './logs/logs-screen.js';
import { ModelsScreen } from './models/models-screen.js';
import { SettingsScreen } from './settings/settings-screen.js';
import { SwitchScreen } from './switch/switch-screen.js';
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

export function App() {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash());
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const Current = SCREENS.find((s) => s.id === screen)!.component;
  return (
    <div className="app">
      <nav className="app-nav" aria-label="Screens">
        {SCREENS.map((s, i) => (
          <a key={s.id} href={`#${s.id}`} aria-current={s.id === screen ? 'page' : undefined} title={`Alt+${i + 1}`}>
            {s.label}
          </a>
        ))}
      </nav>
      <main className="app-main">
        <Current />
      </main>
    </div>
  );
}

function screenFromHash(): ScreenId {
  const id = location.hash.slice(1);
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : 'models';
}
