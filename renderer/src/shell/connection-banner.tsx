import { isKeyMissing, useBrowserAccess } from '../api/browser-access-store.js';
import { useEngineStore } from '../engine/engine-store.js';

/**
 * Says so when the engine connection is not open (or the state cannot be read); nothing otherwise.
 * When the engine answers but refuses this browser, it says what to do instead of "reconnecting…".
 */
export function ConnectionBanner() {
  const connection = useEngineStore((s) => s.connection);
  const error = useEngineStore((s) => s.error);
  const hasState = useEngineStore((s) => s.state !== null);
  const detail = useEngineStore((s) => s.connectionDetail);
  const restartEngine = useEngineStore((s) => s.restartEngine);
  const access = useBrowserAccess();
  if (connection === 'open' && !error) return null;
  if (connection !== 'open' && isKeyMissing(access.status)) {
    return (
      <div className="connection-banner connection-refused" role="alert" data-testid="connection-banner" data-reason={access.status}>
        This browser needs an admin key — enter it under{' '}
        <a href="#settings" data-testid="banner-settings-link">
          Settings (Alt+6)
        </a>
        {access.status === 'key-refused' ? '. The engine refused the key saved here.' : '.'}
      </div>
    );
  }
  if (connection !== 'open' && detail) {
    // The desktop app's own engine process: say what happened to it, and offer a restart once the
    // app stopped restarting it by itself.
    return (
      <div className={`connection-banner connection-${connection}`} role="alert" data-testid="connection-banner" data-reason="engine-process">
        {detail.message}
        {detail.canRestart && restartEngine ? (
          <>
            {' '}
            <button type="button" className="link-button" data-testid="banner-restart-engine" onClick={() => void restartEngine()}>
              Restart the engine
            </button>
          </>
        ) : null}
      </div>
    );
  }
  const text =
    connection !== 'open' && access.status === 'forbidden'
      ? `The engine refuses this page: ${access.message}`
      : connection === 'closed'
        ? access.status === 'engine-down'
          ? 'Cannot reach the engine — reconnecting…'
          : 'Connection to the engine lost — reconnecting…'
        : connection === 'connecting'
          ? hasState
            ? 'Reconnecting to the engine…'
            : 'Connecting to the engine…'
          : `Cannot read the engine state: ${error}`;
  return (
    <div className={`connection-banner connection-${connection}`} role="alert" data-testid="connection-banner" data-reason={access.status}>
      {text}
    </div>
  );
}
