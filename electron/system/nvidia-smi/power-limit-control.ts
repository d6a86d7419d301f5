import type { PowerLimitChange } from '../../../shared/helper-protocol.js';

/**
 * GPU power limits as the helper applies them. Implemented by the GPU work (nvidia-smi); the
 * daemon only validates requests and calls this. Errors are `HelperError`s: `out_of_range` with
 * the GPU's real bounds, `not_found` for an unknown GPU or change, `failed` when nvidia-smi fails,
 * `unsupported` when the GPU cannot change its limit.
 */
export interface PowerLimitControl {
  /**
   * Sets `gpu`'s limit to `watts` after checking the GPU's live min..max (refuses, never clamps),
   * reads the enforced limit back, and schedules a revert to the previous limit after
   * `revertAfterS` (implementation default when omitted) unless confirmed.
   */
  setPowerLimit(gpu: string, watts: number, revertAfterS?: number): Promise<PowerLimitChange>;
  /** Keeps a pending change and persists it (re-applied when the helper starts). */
  confirm(changeId: string): Promise<void>;
  /** Restores the limit a pending change replaced; resolves to the restored watts. */
  revert(changeId: string): Promise<number>;
}
