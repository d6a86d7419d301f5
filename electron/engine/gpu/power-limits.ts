// The engine's port to GPU power limits: in-process when the engine is root, otherwise the privileged helper
// over its socket. Never sudo. Errors of either side become EngineErrors the API can answer with.

import { EngineError } from '../../../shared/engine-error.js';
import type { ApiError } from '../../../shared/engine-state.js';
import { DEFAULT_HELPER_SOCKET, HelperError } from '../../../shared/helper-protocol.js';
import type { PowerLimitControl } from '../../system/nvidia-smi/power-limit-control.js';

/** Set (pending until confirmed), confirm and revert GPU power limits; same contract as the helper's. */
export interface PowerLimits extends PowerLimitControl {
  /** Reverts what is still unconfirmed (in-process only: the helper outlives the engine and keeps its timers). */
  close?(): Promise<void>;
}

export interface PowerLimitsOptions {
  /** Default: `process.getuid() === 0`. */
  isRoot?: boolean;
  /** Default `$SWITCHBOARD_HELPER_SOCKET` or /run/sglang-switchboard/helper.sock. */
  helperSocketPath?: string;
  nvidiaSmiPath?: string;
  /** Where the in-process control persists confirmed limits; null keeps them in memory. */
  stateDir?: string | null;
}

/** The power-limit port for this process. Loads the implementation on first use. */
export async function createPowerLimits(options: PowerLimitsOptions = {}): Promise<PowerLimits> {
  if (options.isRoot ?? process.getuid?.() === 0) {
    const { createInProcessPowerLimits } = await import('./in-process-power-limits.js');
    return createInProcessPowerLimits(options);
  }
  const { HelperPowerLimits } = await import('./helper-power-limits.js');
  return new HelperPowerLimits(options.helperSocketPath ?? (process.env.SWITCHBOARD_HELPER_SOCKET || DEFAULT_HELPER_SOCKET));
}

const CODES: Record<string, ApiError['code']> = {
  bad_request: 'bad_request',
  out_of_range: 'bad_request',
  not_found: 'not_found',
  unsupported: 'unavailable',
  unreachable: 'unavailable',
  timeout: 'unavailable',
  // The helper refused the connection under a flood of them (per-process or per-user cap): try again.
  busy: 'unavailable',
  denied: 'unauthorized',
};

/** An EngineError for a failure of either implementation; `helperCode` keeps the original code. */
export function toPowerLimitError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string' || !(err instanceof HelperError || (err as Error).name === 'HelperRequestError')) {
    return new EngineError('internal', message);
  }
  return new EngineError(CODES[code] ?? 'internal', message, { helperCode: code });
}
