// For an engine that runs as root: the helper's own NvidiaPowerLimits, in this process, with the same
// confirm-or-revert contract. Loaded only then, so an unprivileged engine never loads it.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NvidiaPowerLimits } from '../../system/nvidia-smi/nvidia-power-limits.js';
import { toPowerLimitError, type PowerLimits, type PowerLimitsOptions } from './power-limits.js';

/** NvidiaPowerLimits with EngineErrors; unconfirmed changes are reverted on close. */
export async function createInProcessPowerLimits(options: PowerLimitsOptions): Promise<PowerLimits> {
  // Without a state dir (tests) confirmed limits go to a private temp dir, as good as memory.
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'switchboard-power-limits-')));
  const control = new NvidiaPowerLimits({ nvidiaSmiPath: options.nvidiaSmiPath ?? 'nvidia-smi', stateDir });
  const mapped = <T>(promise: Promise<T>) => promise.catch((err: unknown) => Promise.reject(toPowerLimitError(err)));
  return {
    setPowerLimit: (gpu, watts, revertAfterS) => mapped(control.setPowerLimit(gpu, watts, revertAfterS)),
    confirm: (changeId) => mapped(control.confirm(changeId)),
    revert: (changeId) => mapped(control.revert(changeId)),
    close: () => control.revertPending(),
  };
}
