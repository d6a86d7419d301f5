// Power-limit requests as the API makes them: resolve the GPU from the live samples, refuse a limit outside
// that GPU's own bounds (400 with the bounds, never clamped), then hand it to the PowerLimits port.

import type { ModelEntry } from '../../../shared/catalog-schema.js';
import type { AppliedPowerLimit, GpuSample, PendingPowerLimit, PowerPresetResult } from '../../../shared/gpu-types.js';
import { EngineError } from '../../../shared/engine-error.js';
import { powerProfileTargets } from './model-gpus.js';
import { toPowerLimitError, type PowerLimits } from './power-limits.js';

/** What the control needs of the monitor. */
export interface GpuLookup {
  latest(): GpuSample[];
  findGpu(uuidOrBusId: string): GpuSample | undefined;
}

/** Validated power-limit changes, and the list of those still pending confirmation. */
export class GpuPowerControl {
  private readonly pendingById = new Map<string, PendingPowerLimit>();
  private port: Promise<PowerLimits> | null = null;

  constructor(
    private readonly gpus: GpuLookup,
    private readonly createPort: () => Promise<PowerLimits>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets one GPU's limit; it reverts after `revertAfterS` (the port's default when omitted) unless confirmed. */
  async set(gpu: string, watts: number, revertAfterS?: number): Promise<PendingPowerLimit> {
    const sample = this.resolve(gpu);
    checkWatts(watts, sample, gpu);
    const change = await this.call((port) => port.setPowerLimit(sample?.uuid ?? gpu, watts, revertAfterS), sample, watts);
    // The port keeps one pending change per GPU: a new one supersedes the earlier.
    for (const [id, earlier] of this.pendingById) if (earlier.gpu === change.gpu) this.pendingById.delete(id);
    this.pendingById.set(change.changeId, change);
    return change;
  }

  async confirm(changeId: string): Promise<{ changeId: string }> {
    await this.call((port) => port.confirm(changeId));
    this.pendingById.delete(changeId);
    return { changeId };
  }

  async revert(changeId: string): Promise<{ changeId: string; restoredW: number }> {
    const restoredW = await this.call((port) => port.revert(changeId));
    this.pendingById.delete(changeId);
    return { changeId, restoredW };
  }

  /** Every GPU to `watts`, each change pending. Checks all bounds before changing any GPU. */
  async applyPreset(watts: number, revertAfterS?: number): Promise<PowerPresetResult> {
    const samples = this.gpus.latest();
    if (samples.length === 0) throw new EngineError('unavailable', 'no NVIDIA GPU found: no GPU to apply a power preset to');
    for (const sample of samples) checkWatts(watts, sample, sample.uuid);
    const changes: PendingPowerLimit[] = [];
    try {
      for (const sample of samples) changes.push(await this.set(sample.uuid, watts, revertAfterS));
    } catch (err) {
      await Promise.allSettled(changes.map((c) => this.revert(c.changeId)));
      throw err;
    }
    return { watts, changes };
  }

  /**
   * Applies a model's `powerLimitW` and confirms it at once (the catalog profile is the user's standing
   * choice). Never throws: each GPU's failure is reported in its entry and through `log`.
   */
  async applyProfile(model: Pick<ModelEntry, 'id' | 'gpus' | 'tp' | 'powerLimitW'>, log: (text: string) => void): Promise<AppliedPowerLimit[]> {
    const applied: AppliedPowerLimit[] = [];
    for (const { index, watts } of powerProfileTargets(model)) {
      const sample = this.gpus.latest().find((s) => s.index === index);
      const entry = await this.applyOne(index, watts, sample);
      if (entry.error) log(`power profile of ${model.id}: GPU ${index} not set to ${watts} W: ${entry.error}`);
      else if (!entry.unchanged) log(`power profile of ${model.id}: GPU ${index} set to ${watts} W (enforced ${entry.enforcedW} W)`);
      applied.push(entry);
    }
    return applied;
  }

  /** Lets the port revert what is still pending (when it is in-process). */
  async close(): Promise<void> {
    if (!this.port) return;
    const port = await this.port.catch(() => null);
    await port?.close?.().catch(() => undefined);
  }

  /** Changes made here that are neither confirmed, reverted nor past their revert time. */
  pending(): PendingPowerLimit[] {
    for (const [id, change] of this.pendingById) if (Date.parse(change.revertAt) <= this.now()) this.pendingById.delete(id);
    return [...this.pendingById.values()];
  }

  private async applyOne(index: number, watts: number, sample: GpuSample | undefined): Promise<AppliedPowerLimit> {
    if (!sample) return { index, uuid: null, requestedW: watts, enforcedW: null, error: `no GPU ${index} (${this.gpus.latest().length} GPUs seen)` };
    const base = { index, uuid: sample.uuid, requestedW: watts };
    if (sample.powerLimitW === watts) return { ...base, enforcedW: sample.enforcedPowerLimitW ?? watts, unchanged: true };
    try {
      const change = await this.set(sample.uuid, watts);
      await this.confirm(change.changeId);
      return { ...base, enforcedW: change.enforcedW };
    } catch (err) {
      return { ...base, enforcedW: null, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private resolve(gpu: string): GpuSample | undefined {
    const sample = this.gpus.findGpu(gpu);
    const known = this.gpus.latest();
    if (!sample && known.length > 0) {
      throw new EngineError('not_found', `no GPU "${gpu}"; known: ${known.map((s) => `${s.uuid} (${s.busId})`).join(', ')}`, { known: known.map((s) => s.uuid) });
    }
    return sample;
  }

  private async call<T>(use: (port: PowerLimits) => Promise<T>, sample?: GpuSample, watts?: number): Promise<T> {
    this.port ??= this.createPort();
    try {
      return await use(await this.port);
    } catch (err) {
      const error = toPowerLimitError(err);
      // The port found it out of range (bounds changed since the last sample): still answer with the bounds.
      if (error.details?.helperCode === 'out_of_range' && sample) throw outOfRange(sample, watts!, error.message);
      throw error;
    }
  }
}

function checkWatts(watts: number, sample: GpuSample | undefined, gpu: string): void {
  if (typeof watts !== 'number' || !Number.isFinite(watts) || watts <= 0) throw new EngineError('bad_request', `"watts" must be a positive number, got ${JSON.stringify(watts)}`);
  if (!sample) return;
  const { minPowerLimitW: minW, maxPowerLimitW: maxW } = sample;
  if ((minW !== null && watts < minW) || (maxW !== null && watts > maxW)) {
    throw outOfRange(sample, watts, `${watts} W is outside GPU ${sample.index} (${gpu})'s power limit range ${minW ?? '?'}–${maxW ?? '?'} W`);
  }
}

function outOfRange(sample: GpuSample, watts: number, message: string): EngineError {
  return new EngineError('bad_request', message, {
    gpu: sample.uuid,
    index: sample.index,
    busId: sample.busId,
    requestedW: watts,
    minW: sample.minPowerLimitW,
    maxW: sample.maxPowerLimitW,
  });
}
