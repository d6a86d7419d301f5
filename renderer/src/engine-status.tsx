import { useEffect, useState } from 'react';
import type { EngineState } from '../../shared/engine-state.js';

/** Until the desktop-app issue brings the real UI: the engine's models and their states, refreshed every second. */
export function EngineStatus({ engineUrl }: { engineUrl: string }) {
  const [state, setState] = useState<EngineState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const timer = setInterval(() => {
      fetch(`${engineUrl}/api/state`)
        .then((r) => r.json() as Promise<EngineState>)
        .then((s) => { setState(s); setError(null); })
        .catch((e: Error) => setError(e.message));
    }, 1000);
    return () => clearInterval(timer);
  }, [engineUrl]);
  return (
    <main style={{ font: '14px system-ui', padding: 16 }}>
      <h1>SGLang Switchboard</h1>
      <p>Engine: {engineUrl} {error ? `— ${error}` : ''}</p>
      <ul>
        {state?.models.map((m) => (
          <li key={m.id}>
            {m.label} — {m.status}
            {m.progress ? ` (${m.progress.phase})` : ''}
          </li>
        ))}
      </ul>
    </main>
  );
}
