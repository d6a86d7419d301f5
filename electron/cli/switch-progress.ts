import type { EngineState } from '../../shared/engine-state.js';
import { formatLoadProgress } from './format-load-progress.js';

/** In-phase progress is reported in steps of this fraction, so a long phase prints a few lines, not hundreds. */
const FRACTION_STEP = 0.25;

/**
 * Turns the state events of one switch into progress lines: one per phase change, and one per
 * 25% step inside a phase; for a warm model woken from sleep, one "Waking" line. Returns null when
 * nothing worth a line changed.
 */
export class SwitchProgress {
  private lastKey = '';
  /** True once a load phase was seen (a wake that fell back to a cold load shows its phases). */
  sawLoad = false;

  constructor(private readonly modelId: string) {}

  /** The line to print for this state, if any. */
  lineFor(state: EngineState, nowMs: number): string | null {
    const slot = state.slots.find((s) => s.modelId === this.modelId);
    if (!slot) return this.queuedLine(state);
    if (slot.status === 'waking') return this.once('waking', () => `⏳ Waking ${this.modelId}…`);
    if (slot.status !== 'starting' && slot.status !== 'loading') return null;
    this.sawLoad = true;
    const fraction = slot.progress?.phaseFraction;
    const step = fraction === undefined ? -1 : Math.floor(fraction / FRACTION_STEP);
    return this.once(`${slot.progress?.phase ?? slot.status}:${step}`, () => formatLoadProgress(slot, nowMs));
  }

  private queuedLine(state: EngineState): string | null {
    const slot = state.slots.find((s) => s.queue.some((q) => q.modelId === this.modelId));
    if (!slot) return null;
    return this.once(`queued:${slot.modelId}`, () => `⏳ queued behind ${slot.modelId ?? 'another switch'} on slot ${slot.id}`);
  }

  private once(key: string, line: () => string): string | null {
    if (key === this.lastKey) return null;
    this.lastKey = key;
    return line();
  }
}

/** True while a switch to `modelId` is queued, starting, loading or waking on some slot. */
export function isSwitchUnderWay(state: EngineState, modelId: string): boolean {
  return state.slots.some((s) => (s.modelId === modelId && (s.status === 'starting' || s.status === 'loading' || s.status === 'waking')) || s.queue.some((q) => q.modelId === modelId));
}

/** True when the model is a warm one asleep (or going to sleep): a switch to it wakes it. */
export function isAsleep(state: EngineState, modelId: string): boolean {
  if (state.models.some((m) => m.id === modelId && m.status === 'sleeping')) return true;
  return state.slots.some((s) => s.modelId === modelId && (s.status === 'sleeping' || s.status === 'releasing'));
}

/** The canonical id of an id or alias, from the models the engine lists. */
export function resolveModelIn(state: EngineState, idOrAlias: string): string | null {
  const model = state.models.find((m) => m.id === idOrAlias) ?? state.models.find((m) => m.aliases.includes(idOrAlias));
  return model?.id ?? null;
}
