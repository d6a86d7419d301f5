import type { EngineReadyMessage, EngineRestartMessage } from '../../shared/engine-process-protocol.js';

/** The engine process's side of the desktop app's supervision (engine-supervisor.ts in electron/main). */
export interface SupervisorChannel {
  /** Tells the app where the engine serves (sent once, when it listens). */
  ready(info: Omit<EngineReadyMessage, 'type'>): void;
  /** Asks the app to start the engine again on another catalog; resolves once the message is out. */
  requestRestart(request: Omit<EngineRestartMessage, 'type'>): Promise<void>;
  /** Resolves when the app is gone (its IPC channel closed): the engine then stops like on SIGTERM. */
  gone: Promise<'parent-gone'>;
}

/**
 * The IPC channel the supervisor opened (`stdio: [..., 'ipc']`). Throws when there is none: `--supervised`
 * outside the desktop app is a mistake worth a clear error, not an engine nobody can stop.
 */
export function connectToSupervisor(): SupervisorChannel {
  const send = process.send?.bind(process);
  if (!send || !process.connected) throw new Error('--supervised needs an IPC channel to the desktop app (it starts `switchboard serve --supervised` itself)');
  const gone = new Promise<'parent-gone'>((resolve) => process.once('disconnect', () => resolve('parent-gone')));
  const post = (message: EngineReadyMessage | EngineRestartMessage): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected) return resolve();
      send(message, undefined, {}, () => resolve());
    });
  // The channel must not keep the process alive by itself; serve's own server does.
  process.channel?.unref();
  return {
    ready: (info) => void post({ type: 'switchboard:ready', ...info }),
    requestRestart: (request) => post({ type: 'switchboard:restart', ...request }),
    gone,
  };
}
