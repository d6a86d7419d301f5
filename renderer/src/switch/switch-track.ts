import type { Failure } from '../../../shared/failure.js';
import type { LoadRecord, SlotStatus, SlotView } from '../../../shared/engine-state.js';
import type { LoadPhase } from '../../../shared/load-phase.js';

/** How a switch ended. */
export type SwitchOutcome = 'ready' | 'failed' | 'cancelled';

/**
 * What the Switch screen knows about one slot: the switch under way (or the last one), folded from
 * successive SlotViews. `switch` = a model is being switched to (loaded, or woken when `wake`);
 * `idle` = the slot as it stands (nothing seen happening since the app started, or a warm model
 * asleep); `stop` = the backend is being stopped; `sleep` = a warm model is being put to sleep.
 */
export interface SwitchTrack {
  slotId: string;
  kind: 'switch' | 'stop' | 'sleep' | 'idle';
  /** The model switched to (or held, when idle). */
  modelId: string | null;
  /** The model being drained and stopped to make room, while that happens. */
  fromModelId: string | null;
  status: SlotStatus;
  /** True while the switch runs (draining, stopping, starting, loading, waking). */
  active: boolean;
  /** The switch wakes a sleeping warm model (no load phases: it is back in seconds). */
  wake: boolean;
  /** The switch began as a wake that did not work: the server was stopped and the model is loaded cold. */
  wakeFellBack: boolean;
  outcome: SwitchOutcome | null;
  /** Waiting for the replaced model's in-flight requests. */
  draining: boolean;
  phase: LoadPhase | null;
  phaseFraction?: number;
  detail?: string;
  /** Phases seen during this switch, in order. */
  seen: LoadPhase[];
  /** False when the app first saw this switch mid-way, so earlier phases are not known. */
  observedFromStart: boolean;
  /** True once the load's history record (every phase the engine saw) was folded in. */
  recorded: boolean;
  /** Unix ms when the switch began (its drain/stop, or the load when first seen loading). */
  startedAtMs: number | null;
  /** SlotView.loadStartedAtMs of this switch's load, once it launched. */
  loadStartedAtMs: number | null;
  endedAtMs: number | null;
  /** The engine's estimate when last heard, and when (it counts down between events). */
  etaMs: number | null;
  etaAtMs: number | null;
  failure: Failure | null;
  /** Callers waiting for this switch. */
  waiters: number;
}

export interface TrackResult {
  track: SwitchTrack;
  /** The switch that ended with this view (its final track), once per switch. */
  ended: SwitchTrack | null;
}

function isLoading(status: SlotStatus): boolean {
  return status === 'starting' || status === 'loading';
}

/** A warm model's slot on its way to or from sleep (releasing, sleeping) or waking. */
function isSleepStatus(status: SlotStatus): boolean {
  return status === 'releasing' || status === 'sleeping' || status === 'waking';
}

/** A switch shows in a SlotView as a load or wake under way or a pending load of another model. */
function switchTarget(slot: SlotView): string | null {
  if (isLoading(slot.status) || slot.status === 'waking') return slot.pending?.modelId ?? slot.modelId;
  const pending = slot.pending;
  if (pending && (pending.modelId !== slot.modelId || slot.status !== 'ready')) return pending.modelId;
  return null;
}

/**
 * Folds one SlotView into the slot's track; pure. `ended` is set on the view that finishes a
 * switch (ready, failed, cancelled), including one superseded by the next switch in one step.
 */
export function trackSlot(prev: SwitchTrack | null, slot: SlotView, nowMs: number): TrackResult {
  const target = switchTarget(slot);
  let ended: SwitchTrack | null = null;
  let base = prev;
  if (prev?.active && prev.kind === 'switch' && prev.modelId !== target) {
    ended = finish(prev, slot, nowMs);
    base = ended;
  }
  if (target !== null) return { track: advance(base, slot, target, nowMs), ended };
  if (prev?.active && prev.kind === 'switch' && !ended) {
    ended = finish(prev, slot, nowMs);
    return { track: ended, ended };
  }
  if (base && !base.active && base.kind === 'switch' && base.modelId === slot.modelId && base.status === slot.status) {
    return { track: base, ended };
  }
  return { track: idleTrack(slot), ended };
}

function advance(base: SwitchTrack | null, slot: SlotView, target: string, nowMs: number): SwitchTrack {
  const loading = isLoading(slot.status);
  const loadStartedAtMs = loading ? (slot.loadStartedAtMs ?? nowMs) : null;
  const same = base?.active === true && base.kind === 'switch' && base.modelId === target && (loadStartedAtMs === null || base.loadStartedAtMs === null || base.loadStartedAtMs === loadStartedAtMs);
  const track: SwitchTrack = same
    ? { ...base! }
    : {
        ...emptyTrack(slot.id),
        kind: 'switch',
        modelId: target,
        active: true,
        observedFromStart: base !== null || !loading,
        startedAtMs: loadStartedAtMs ?? nowMs,
      };
  track.status = slot.status;
  track.draining = slot.draining === true;
  track.waiters = slot.pending?.waiters ?? track.waiters;
  // Waking the model the slot holds asleep (or a wake pending while it goes to sleep or sleeps).
  const waking = isSleepStatus(slot.status) && slot.modelId === target;
  if (track.wake && !waking) track.wakeFellBack = true;
  track.wake = waking;
  if (waking) {
    track.phase = null;
    track.phaseFraction = undefined;
    track.detail = undefined;
    track.etaMs = slot.etaMs ?? null;
    track.etaAtMs = slot.etaMs === undefined || slot.etaMs === null ? null : nowMs;
  } else if (loading) {
    track.loadStartedAtMs = loadStartedAtMs;
    const progress = slot.progress ?? { phase: 'launching' as const };
    track.phase = progress.phase;
    track.phaseFraction = progress.phaseFraction;
    track.detail = progress.detail;
    track.etaMs = slot.etaMs ?? null;
    track.etaAtMs = slot.etaMs === undefined || slot.etaMs === null ? null : nowMs;
  } else {
    // Draining or stopping the model it replaces; from a stopped or failed slot, straight to the launch.
    const replacing = slot.status === 'ready' || slot.status === 'stopping';
    track.fromModelId = replacing && slot.modelId !== target ? slot.modelId : track.fromModelId;
    track.phase = replacing ? 'stopping' : 'launching';
    track.phaseFraction = undefined;
    track.detail = slot.draining ? 'waiting for in-flight requests' : undefined;
  }
  if (track.phase && !track.seen.includes(track.phase)) track.seen = [...track.seen, track.phase];
  return track;
}

/** The final track of a switch, from the view that shows its end. */
function finish(prev: SwitchTrack, slot: SlotView, nowMs: number): SwitchTrack {
  const holdsIt = slot.modelId === prev.modelId;
  const outcome: SwitchOutcome = holdsIt && slot.status === 'ready' ? 'ready' : holdsIt && slot.status === 'failed' ? 'failed' : 'cancelled';
  const track: SwitchTrack = {
    ...prev,
    active: false,
    outcome,
    draining: false,
    status: holdsIt ? slot.status : 'stopped',
    etaMs: null,
    etaAtMs: null,
  };
  if (outcome === 'ready' && prev.wake) {
    // A wake has no load phases; the slot's readyAtMs may still be the first load's.
    track.endedAtMs = slot.readyAtMs !== undefined && prev.startedAtMs !== null && slot.readyAtMs >= prev.startedAtMs ? slot.readyAtMs : nowMs;
  } else if (outcome === 'ready') {
    track.phase = 'ready';
    track.phaseFraction = 1;
    track.detail = undefined;
    if (!track.seen.includes('ready')) track.seen = [...track.seen, 'ready'];
    track.endedAtMs = slot.readyAtMs ?? nowMs;
  } else if (outcome === 'failed') {
    track.failure = slot.failure ?? null;
    track.phase = failedPhase(slot) ?? prev.phase;
    track.endedAtMs = slot.failure?.atMs ?? nowMs;
  } else {
    track.endedAtMs = nowMs;
  }
  return track;
}

function failedPhase(slot: SlotView): LoadPhase | null {
  return slot.progress?.phase ?? null;
}

function idleTrack(slot: SlotView): SwitchTrack {
  const failed = slot.status === 'failed';
  if (slot.status === 'releasing' || slot.status === 'sleeping') {
    // Asleep or going to sleep: no load to show (its times would be the last load's).
    return { ...emptyTrack(slot.id), kind: slot.status === 'releasing' ? 'sleep' : 'idle', modelId: slot.modelId, status: slot.status };
  }
  return {
    ...emptyTrack(slot.id),
    kind: slot.status === 'stopping' ? 'stop' : 'idle',
    modelId: slot.modelId,
    status: slot.status,
    outcome: slot.status === 'ready' ? 'ready' : failed ? 'failed' : null,
    phase: slot.status === 'ready' ? 'ready' : failed ? failedPhase(slot) : slot.status === 'stopping' ? 'stopping' : null,
    startedAtMs: slot.loadStartedAtMs ?? null,
    loadStartedAtMs: slot.loadStartedAtMs ?? null,
    endedAtMs: slot.readyAtMs ?? slot.failure?.atMs ?? null,
    failure: slot.failure ?? null,
  };
}

function emptyTrack(slotId: string): SwitchTrack {
  return {
    slotId,
    kind: 'idle',
    modelId: null,
    fromModelId: null,
    status: 'stopped',
    active: false,
    wake: false,
    wakeFellBack: false,
    outcome: null,
    draining: false,
    phase: null,
    seen: [],
    observedFromStart: false,
    recorded: false,
    startedAtMs: null,
    loadStartedAtMs: null,
    endedAtMs: null,
    etaMs: null,
    etaAtMs: null,
    failure: null,
    waiters: 0,
  };
}

/** The load record of this track's load adds the phases the engine saw (state events may skip short ones). */
export function applyLoadRecord(track: SwitchTrack, record: LoadRecord): SwitchTrack {
  if (record.modelId !== track.modelId || track.kind === 'stop' || track.kind === 'sleep') return track;
  if (track.loadStartedAtMs === null || record.startedAtMs !== track.loadStartedAtMs) return track;
  const recorded = Object.keys(record.phaseMs) as LoadPhase[];
  const missing = recorded.filter((phase) => !track.seen.includes(phase));
  if (track.recorded && missing.length === 0) return track;
  return { ...track, recorded: true, seen: [...track.seen, ...missing] };
}

/** Time left, counted down since the engine last said; null when unknown. */
export function etaLeftMs(track: SwitchTrack, nowMs: number): number | null {
  if (!track.active || track.etaMs === null || track.etaAtMs === null) return null;
  return track.etaMs - (nowMs - track.etaAtMs);
}

/** How long the switch has run (or ran, once ended); null when its start is unknown. */
export function elapsedMs(track: SwitchTrack, nowMs: number): number | null {
  if (track.startedAtMs === null) return null;
  const end = track.active ? nowMs : (track.endedAtMs ?? nowMs);
  return Math.max(0, end - track.startedAtMs);
}
