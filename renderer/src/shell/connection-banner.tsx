import { useEngineStore } from '../engine/engine-store.js';

/** Says so when the engine connection is not open (or the state cannot be read); nothing otherwise. */
export function ConnectionBanner() {
  const connection = useEngineStore((s) => s.connection);
  const error = useEngineStore((s) => s.error);
  const hasState = useEngineStore((s) => s.state !== null);
  if (connection === 'open' && !error) return null;
  const text =
    connection === 'closed'
      ? 'Connection to the engine lost — reconnecting…'
      : connection === 'connecting'
        ? hasState
          ? 'Reconnecting to the engine…'
          : 'Connecting to the engine…'
        : `Cannot read the engine state: ${error}`;
  return (
    <div className={`connection-banner connection-${connection}`} role="alert" data-testid="connection-banner">
      {text}
    </div>
  );
}
