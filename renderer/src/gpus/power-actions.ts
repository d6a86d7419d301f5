import type { ApiHub } from '../api/api-hub.js';
import { toCardError } from './card-error.js';
import type { GpusData, GpusState } from './gpus-store.js';
import { checkPowerLimit, powerLimitBounds, presetRefusals } from './power-limit-bounds.js';
import { expiredChanges, hasPending, pendingFrom, type PowerChange } from './power-change.js';

/** What the cards and the preset bar can do. Every action shows its failure on the card, never throws. */
export interface PowerActions {
  /** The slider's value; any number is kept (an out-of-range one disables Apply and says why). */
  setDraft(uuid: string, watts: number): void;
  /** Applies the draft after checking it against the GPU's range (refused, never clamped). */
  applyPowerLimit(uuid: string): Promise<void>;
  confirmPowerLimit(uuid: string): Promise<void>;
  revertPowerLimit(uuid: string): Promise<void>;
  applyPreset(watts: number): Promise<void>;
  confirmPreset(): Promise<void>;
  revertPreset(): Promise<void>;
  /** Forgets a card's error and its confirmed/reverted note. */
  dismiss(uuid: string): void;
}

interface Deps {
  hub: ApiHub;
  set: (partial: Partial<GpusData>) => void;
  get: () => GpusState;
  now: () => number;
  refresh: () => Promise<void>;
  revertAfterS?: number;
  tickMs: number;
}

/** The power-limit half of the GPUs store: apply, the revert countdown, confirm, revert, presets. */
export function createPowerActions({ hub, set, get, now, refresh, revertAfterS, tickMs }: Deps) {
  let timer: ReturnType<typeof setInterval> | null = null;
  const timing = revertAfterS === undefined ? {} : { revertAfterS };

  /** changeIds that were confirmed, reverted or expired here. */
  const settled = new Set<string>();

  function setChange(uuid: string, change: PowerChange | null): void {
    const previous = get().changes[uuid];
    if (previous?.kind === 'pending' && change?.kind !== 'pending') settled.add(previous.change.changeId);
    const changes = { ...get().changes };
    if (change) changes[uuid] = change;
    else delete changes[uuid];
    set({ changes });
  }

  function setError(uuid: string, error: ReturnType<typeof toCardError> | null): void {
    const errors = { ...get().errors };
    if (error) errors[uuid] = error;
    else delete errors[uuid];
    set({ errors });
  }

  function clearDraft(uuid: string): void {
    const drafts = { ...get().drafts };
    delete drafts[uuid];
    set({ drafts });
  }

  /** One countdown step: changes past their time are shown reverted (the engine reverted them), then re-read. */
  function tick(): void {
    const nowMs = now();
    const { changes, preset } = get();
    const expired = expiredChanges(changes, nowMs);
    const presetExpired = preset.kind === 'pending' && preset.busy === null && preset.deadlineMs <= nowMs;
    if (expired.length > 0) {
      const next = { ...changes };
      const drafts = { ...get().drafts };
      for (const [uuid, pending] of expired) {
        settled.add(pending.change.changeId);
        next[uuid] = { kind: 'reverted', restoredW: pending.change.previousW, why: 'expired' };
        delete drafts[uuid];
      }
      set({ changes: next, drafts });
    }
    if (presetExpired) set({ preset: { kind: 'reverted', watts: preset.watts, why: 'expired' } });
    set({ nowMs });
    if (expired.length > 0 || presetExpired) void refresh();
    ensureTicking();
  }

  /** Runs the countdown exactly while something is pending. */
  function ensureTicking(): void {
    if (!hasPending(get().changes, get().preset)) return stopTicking();
    if (timer) return;
    set({ nowMs: now() });
    timer = setInterval(tick, tickMs);
  }

  function stopTicking(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  /** The preset ends once none of its changes is pending any more. */
  function settlePreset(outcome: 'confirmed' | 'reverted'): void {
    const { preset, changes } = get();
    if (preset.kind !== 'pending') return;
    const stillPending = Object.values(changes).some((c) => c.kind === 'pending' && preset.changeIds.includes(c.change.changeId));
    if (!stillPending) set({ preset: outcome === 'confirmed' ? { kind: 'confirmed', watts: preset.watts } : { kind: 'reverted', watts: preset.watts, why: 'manual' } });
  }

  async function confirmOne(uuid: string): Promise<boolean> {
    const change = get().changes[uuid];
    if (change?.kind !== 'pending' || change.busy) return false;
    setChange(uuid, { ...change, busy: 'confirming' });
    try {
      await hub.call('gpu.confirmPowerLimit', { changeId: change.change.changeId });
      setChange(uuid, { kind: 'confirmed', watts: change.watts });
      clearDraft(uuid);
      ensureTicking();
      return true;
    } catch (err) {
      setChange(uuid, { ...change, busy: null });
      setError(uuid, toCardError(err, 'Confirm'));
      return false;
    }
  }

  async function revertOne(uuid: string): Promise<boolean> {
    const change = get().changes[uuid];
    if (change?.kind !== 'pending' || change.busy) return false;
    setChange(uuid, { ...change, busy: 'reverting' });
    try {
      const { restoredW } = await hub.call('gpu.revertPowerLimit', { changeId: change.change.changeId });
      setChange(uuid, { kind: 'reverted', restoredW, why: 'manual' });
      clearDraft(uuid);
      ensureTicking();
      return true;
    } catch (err) {
      setChange(uuid, { ...change, busy: null });
      setError(uuid, toCardError(err, 'Revert'));
      return false;
    }
  }

  function presetUuids(changeIds: readonly string[]): string[] {
    return Object.entries(get().changes)
      .filter(([, c]) => c.kind === 'pending' && changeIds.includes(c.change.changeId))
      .map(([uuid]) => uuid);
  }

  const actions: PowerActions = {
    setDraft(uuid, watts) {
      set({ drafts: { ...get().drafts, [uuid]: watts } });
    },

    async applyPowerLimit(uuid) {
      const sample = get().samples.find((s) => s.uuid === uuid);
      if (!sample) return;
      const watts = get().drafts[uuid] ?? sample.powerLimitW;
      if (watts === null || watts === undefined) return;
      const check = checkPowerLimit(watts, powerLimitBounds(sample));
      if (!check.ok) return setError(uuid, { code: 'bad_request', message: `Refused: ${check.reason}` });
      setError(uuid, null);
      setChange(uuid, { kind: 'applying', watts });
      try {
        const pending = await hub.call('gpu.setPowerLimit', { gpu: uuid, watts, ...timing });
        setChange(uuid, pendingFrom(pending));
        ensureTicking();
      } catch (err) {
        setChange(uuid, null);
        setError(uuid, toCardError(err, 'Setting the power limit'));
      }
    },

    async confirmPowerLimit(uuid) {
      if (await confirmOne(uuid)) settlePreset('confirmed');
    },

    async revertPowerLimit(uuid) {
      if (await revertOne(uuid)) {
        settlePreset('reverted');
        void refresh();
      }
    },

    async applyPreset(watts) {
      const refusals = presetRefusals(watts, get().samples);
      if (refusals.length > 0) {
        return set({ preset: { kind: 'error', watts, message: `Refused: ${refusals.map((r) => `GPU ${r.index}: ${r.reason}`).join(' ')}` } });
      }
      set({ preset: { kind: 'applying', watts } });
      try {
        const result = await hub.call('gpu.applyPreset', { watts, ...timing });
        const changes = { ...get().changes };
        const errors = { ...get().errors };
        for (const change of result.changes) {
          changes[change.gpu] = pendingFrom(change, true);
          delete errors[change.gpu];
        }
        const deadlineMs = Math.min(...result.changes.map((c) => Date.parse(c.revertAt)));
        set({ changes, errors, preset: { kind: 'pending', watts, changeIds: result.changes.map((c) => c.changeId), deadlineMs, busy: null } });
        ensureTicking();
      } catch (err) {
        set({ preset: { kind: 'error', watts, message: toCardError(err, `The ${watts} W preset`).message } });
      }
    },

    async confirmPreset() {
      const preset = get().preset;
      if (preset.kind !== 'pending' || preset.busy) return;
      set({ preset: { ...preset, busy: 'confirming' } });
      await Promise.all(presetUuids(preset.changeIds).map(confirmOne));
      set({ preset: { ...preset, busy: null } });
      settlePreset('confirmed');
      ensureTicking();
    },

    async revertPreset() {
      const preset = get().preset;
      if (preset.kind !== 'pending' || preset.busy) return;
      set({ preset: { ...preset, busy: 'reverting' } });
      await Promise.all(presetUuids(preset.changeIds).map(revertOne));
      set({ preset: { ...preset, busy: null } });
      settlePreset('reverted');
      ensureTicking();
      void refresh();
    },

    dismiss(uuid) {
      setError(uuid, null);
      const change = get().changes[uuid];
      if (change && (change.kind === 'confirmed' || change.kind === 'reverted')) setChange(uuid, null);
    },
  };

  return { actions, ensureTicking, stopTicking, isSettled: (changeId: string) => settled.has(changeId) };
}
