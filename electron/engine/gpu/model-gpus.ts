import type { ModelEntry } from '../../../shared/catalog-schema.js';

/** The GPU indexes a model runs on: its `gpus`, else the first `tp` (what SGLang takes when none are set). */
export function modelGpuIndexes(model: Pick<ModelEntry, 'gpus' | 'tp'>): number[] {
  return model.gpus ?? Array.from({ length: model.tp }, (_, i) => i);
}

/** A model's power profile as (GPU index, watts) pairs; empty when it has none. */
export function powerProfileTargets(model: Pick<ModelEntry, 'gpus' | 'tp' | 'powerLimitW'>): { index: number; watts: number }[] {
  const profile = model.powerLimitW;
  if (profile === undefined) return [];
  if (typeof profile === 'number') return modelGpuIndexes(model).map((index) => ({ index, watts: profile }));
  return Object.entries(profile)
    .map(([index, watts]) => ({ index: Number(index), watts }))
    .sort((a, b) => a.index - b.index);
}
