// `nvidia-smi [-i <gpu>] -pl <W>` with the real texts from the pl-* captures. GPUs are handled in order; the
// first hard error stops the run ("Terminating early…") after earlier GPUs were already changed, as nvidia-smi does.

import { gpuState, updateState } from './fake-state.js';
import type { FakeGpu } from './scenarios.js';

/** What one `-pl` run prints and its exit code. */
export interface CommandResult {
  stdout: string;
  code: number;
}

/** Who may change limits and which GPUs refuse to. */
export interface PowerLimitContext {
  scenario: string;
  statePath: string;
  privileged: boolean;
  /** Bus ids whose -pl prints "not supported" and exits 0 (`FAKE_NVIDIA_SMI_UNSUPPORTED_PL`). */
  unsupportedBusIds: Set<string>;
  /** Print success but keep the old limit (`FAKE_NVIDIA_SMI_FAIL=pl-no-effect`): only a read-back can tell. */
  noEffect: boolean;
}

// pl-success-persistence-warning-terminal-wrapped.txt, unwrapped: the terminal wrapped it at 80 columns, not nvidia-smi.
const PERSISTENCE_WARNING =
  'Warning: persistence mode is disabled on this device. This settings will go back to default as soon as driver unloads (e.g. last application like nvidia-smi or cuda application terminates). Run with [--help | -h] switch to get more information on how to enable persistence mode.';
const TERMINATING = 'Terminating early due to previous errors.';
/** nvidia-smi's documented return values: 2 invalid argument, 4 no permission. */
const EXIT_INVALID = 2;
const EXIT_NO_PERMISSION = 4;

/** Applies `watts` to each target, updating the state file. */
export function runPowerLimit(targets: FakeGpu[], watts: number, ctx: PowerLimitContext): CommandResult {
  return updateState(ctx.statePath, ctx.scenario, (state) => {
    const lines: string[] = [];
    for (const gpu of targets) {
      const refusal = refuse(gpu, watts, ctx);
      if (refusal) return { stdout: `${[...lines, ...refusal.lines].join('\n')}\n`, code: refusal.code };
      if (ctx.unsupportedBusIds.has(gpu.busId.toUpperCase())) {
        lines.push(`Changing power management limit is not supported for GPU: ${gpu.busId}.`, 'Treating as warning and moving on.');
        continue;
      }
      const current = gpuState(state, gpu);
      if (!ctx.noEffect) state.gpus[gpu.busId] = { ...state.gpus[gpu.busId], powerLimitW: watts };
      lines.push(`Power limit for GPU ${gpu.busId} was set to ${watts.toFixed(2)} W from ${current.powerLimitW.toFixed(2)} W.`);
      if (!current.persistence) lines.push(PERSISTENCE_WARNING);
    }
    return { stdout: `${[...lines, 'All done.'].join('\n')}\n`, code: 0 };
  });
}

/** The bounds check comes first (it needs no privilege), then the permission check of the set call. */
function refuse(gpu: FakeGpu, watts: number, ctx: PowerLimitContext): { lines: string[]; code: number } | null {
  if (watts < gpu.minW || watts > gpu.maxW) {
    const message = `Provided power limit ${watts.toFixed(2)} W is not a valid power limit which should be between ${gpu.minW.toFixed(2)} W and ${gpu.maxW.toFixed(2)} W for GPU ${gpu.busId}`;
    return { lines: [message, TERMINATING], code: EXIT_INVALID };
  }
  if (!ctx.privileged) {
    // pl-error-insufficient-permissions.txt has this one line and nothing after it.
    return { lines: [`Failed to set power management limit for GPU ${gpu.busId}: Insufficient Permissions`], code: EXIT_NO_PERMISSION };
  }
  return null;
}
