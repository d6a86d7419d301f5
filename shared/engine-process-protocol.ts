// Messages between the desktop app's main process and its engine process (`switchboard serve
// --supervised`, started with an IPC channel). Main supervises: it restarts the engine when it
// dies and attaches to it over /api/ws like any other client.

/** Engine → main, once the router, admin API and /api/ws listen. */
export interface EngineReadyMessage {
  type: 'switchboard:ready';
  url: string;
  /** The engine's admin token (also in <stateDir>/admin-token): main attaches with it. */
  adminToken: string;
  configPath: string;
}

/** Engine → main: start me again on this catalog (the engine stops itself right after). */
export interface EngineRestartMessage {
  type: 'switchboard:restart';
  configPath: string;
  /** Extra environment for the next engine process (the simulated host's fake nvidia-smi state). */
  env?: Record<string, string>;
}

export type EngineProcessMessage = EngineReadyMessage | EngineRestartMessage;

export function isEngineProcessMessage(value: unknown): value is EngineProcessMessage {
  if (!value || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  if (m.type === 'switchboard:ready') return typeof m.url === 'string' && typeof m.adminToken === 'string' && typeof m.configPath === 'string';
  if (m.type === 'switchboard:restart') {
    if (typeof m.configPath !== 'string') return false;
    if (m.env === undefined) return true;
    return !!m.env && typeof m.env === 'object' && Object.values(m.env).every((v) => typeof v === 'string');
  }
  return false;
}
