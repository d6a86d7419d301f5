import type { PendingPowerLimit } from '../../../shared/gpu-types.js';

/** Where one GPU's power-limit change stands, as its card shows it. */
export type PowerChange =
  | { kind: 'applying'; watts: number }
  /** Set and reverting at `deadlineMs` unless confirmed; `busy` while a confirm or revert is on its way. */
  | { kind: 'pending'; change: PendingPowerLimit; watts: number; deadlineMs: number; busy: 'confirming' | 'reverting' | null; viaPreset: boolean }
  | { kind: 'confirmed'; watts: number }
  /** `expired`: the countdown ran out and the engine put the old limit back; `manual`: Revert now. */
  | { kind: 'reverted'; restoredW: number | null; why: 'expired' | 'manual' };

/** The same for a preset applied to every GPU. */
export type PresetChange =
  | { kind: 'idle' }
  | { kind: 'applying'; watts: number }
  | { kind: 'pending'; watts: number; changeIds: string[]; deadlineMs: number; busy: 'confirming' | 'reverting' | null }
  | { kind: 'confirmed'; watts: number }
  | { kind: 'reverted'; watts: number; why: 'expired' | 'manual' }
  | { kind: 'error'; watts: number; message: string };

/** The pending state for a change the engine reported. */
export function pendingFrom(change: PendingPowerLimit, viaPreset = false): PendingChange {
  return { kind: 'pending', change, watts: change.enforcedW, deadlineMs: Date.parse(change.revertAt), busy: null, viaPreset };
}

/** Whole seconds until the revert, never below 0 (rounded up, so "1 s" shows until the very end). */
export function secondsLeft(deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000));
}

export type PendingChange = Extract<PowerChange, { kind: 'pending' }>;

/** The pending changes (by GPU UUID) past their revert time and not being confirmed or reverted. */
export function expiredChanges(changes: Readonly<Record<string, PowerChange>>, nowMs: number): [uuid: string, change: PendingChange][] {
  return Object.entries(changes).filter((entry): entry is [string, PendingChange] => {
    const change = entry[1];
    return change.kind === 'pending' && change.busy === null && change.deadlineMs <= nowMs;
  });
}

/** True while any change waits for confirmation (the countdown ticks only then). */
export function hasPending(changes: Readonly<Record<string, PowerChange>>, preset: PresetChange): boolean {
  return preset.kind === 'pending' || Object.values(changes).some((c) => c.kind === 'pending');
}
