import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineState, LoadRecord, LogLine } from '../../../shared/engine-state.js';
import type { ApiHub } from '../api/api-hub.js';
import { useEngineStore, type EngineStoreState } from '../engine/engine-store.js';
import { storeForHub } from '../engine/store-for-hub.js';
import { applyLoadRecord, trackSlot, type SwitchTrack } from './switch-track.js';

/** Load history entries kept (newest last). */
const HISTORY_KEPT = 100;
/** Log lines fetched for a failure that carries none. */
const FAILURE_TAIL = 60;

export interface SwitchStoreState {
  /** One track per slot id, in the engine's slot order. */
  tracks: SwitchTrack[];
  /** Finished loads, newest last: `models.loadHistory`, then every `load` event. */
  history: LoadRecord[];
  historyError: string | null;
  /** Log lines fetched for a slot's failure when the failure carried none, by slot id. */
  failureLines: Record<string, string[]>;
  /** The last switch that ended, with a counter so each end is seen once (the notifier). */
  lastEnded: { seq: number; track: SwitchTrack } | null;
  loadHistory(): Promise<void>;
  /** Stops following the engine. */
  dispose(): void;
}

export type SwitchStore = StoreApi<SwitchStoreState>;

export interface SwitchStoreOptions {
  /** Where the engine state comes from (the app's engine store by default). */
  engine?: Pick<StoreApi<EngineStoreState>, 'getState' | 'subscribe'>;
  now?: () => number;
}

/**
 * The Switch screen's store: folds every engine state into per-slot switch tracks (phases seen,
 * elapsed, ETA, failure), keeps the load history and fetches log lines for a failure.
 */
export function createSwitchStore(hub: ApiHub, options: SwitchStoreOptions = {}): SwitchStore {
  const engine = options.engine ?? useEngineStore;
  const now = options.now ?? Date.now;
  let endedSeq = 0;
  const fetchingFor = new Set<string>();

  const store = createStore<SwitchStoreState>()((set) => ({
    tracks: [],
    history: [],
    historyError: null,
    failureLines: {},
    lastEnded: null,
    async loadHistory() {
      try {
        const records = await hub.call('models.loadHistory', { limit: HISTORY_KEPT });
        // Live `load` events that arrived meanwhile stay; the fetched list goes before them.
        set((s) => ({ history: mergeHistory(records, s.history), historyError: null }));
        set((s) => ({ tracks: s.tracks.map((t) => records.reduce(applyLoadRecord, t)) }));
      } catch (err) {
        set({ historyError: err instanceof Error ? err.message : String(err) });
      }
    },
    dispose() {
      offEngine();
      offLoad();
    },
  }));

  function onState(state: EngineState): void {
    const previous = new Map(store.getState().tracks.map((t) => [t.slotId, t]));
    const history = store.getState().history;
    let lastEnded = store.getState().lastEnded;
    const tracks = state.slots.map((slot) => {
      const { track, ended } = trackSlot(previous.get(slot.id) ?? null, slot, now());
      if (ended) lastEnded = { seq: ++endedSeq, track: ended };
      return track.active || track.recorded ? track : history.reduce(applyLoadRecord, track);
    });
    store.setState({ tracks, lastEnded });
    for (const track of tracks) if (track.failure) void fetchFailureLines(track);
  }

  async function fetchFailureLines(track: SwitchTrack): Promise<void> {
    const failure = track.failure!;
    const key = `${track.slotId}:${failure.atMs}`;
    if (failure.lastLines?.length || fetchingFor.has(key)) return;
    fetchingFor.add(key);
    try {
      const lines = await hub.call('logs.tail', { tail: FAILURE_TAIL });
      store.setState((s) => ({ failureLines: { ...s.failureLines, [track.slotId]: linesOf(lines, track.modelId) } }));
    } catch {
      fetchingFor.delete(key);
    }
  }

  function onLoad(record: LoadRecord): void {
    store.setState((s) => ({
      history: mergeHistory(s.history, [record]),
      tracks: s.tracks.map((t) => applyLoadRecord(t, record)),
    }));
  }

  const offEngine = engine.subscribe((s, prev) => {
    if (s.state && s.state !== prev.state) onState(s.state);
  });
  const offLoad = hub.on('load', (event) => onLoad(event.record));
  const initial = engine.getState().state;
  if (initial) onState(initial);
  return store;
}

/** The app-wide instance (the notifier follows it while other screens are shown). */
export const appSwitchStore = storeForHub((hub) => createSwitchStore(hub));

/** The model's own lines when it has any (a log may hold the previous model's too). */
function linesOf(lines: LogLine[], modelId: string | null): string[] {
  const own = lines.filter((l) => l.modelId === modelId);
  return (own.length > 0 ? own : lines).map((l) => l.text);
}

function recordKey(r: LoadRecord): string {
  return `${r.modelId}@${r.startedAtMs}`;
}

/** `older` then `newer`, without duplicates, newest last, bounded. */
function mergeHistory(older: LoadRecord[], newer: LoadRecord[]): LoadRecord[] {
  const seen = new Set<string>();
  const merged: LoadRecord[] = [];
  for (const record of [...older, ...newer]) {
    const key = recordKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(record);
  }
  return merged.sort((a, b) => a.endedAtMs - b.endedAtMs).slice(-HISTORY_KEPT);
}
