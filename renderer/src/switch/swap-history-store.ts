import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SwapRecord } from '../../../shared/engine-state.js';
import type { ApiHub } from '../api/api-hub.js';
import { storeForHub } from '../engine/store-for-hub.js';

/** Swap records kept (and fetched). */
export const SWAPS_KEPT = 200;

export interface SwapHistoryState {
  /** Loads, unloads, sleeps and wakes, newest first, at most SWAPS_KEPT: `models.swapHistory`, then every `swap` event. */
  records: SwapRecord[];
  error: string | null;
  /** Fetches the history; records that arrived as events meanwhile stay. */
  load(): Promise<void>;
  /** Stops following the engine. */
  dispose(): void;
}

export type SwapHistoryStore = StoreApi<SwapHistoryState>;

/** The Switch screen's swap history: every load, unload, sleep and wake with its cause, across all slots. */
export function createSwapHistoryStore(hub: ApiHub): SwapHistoryStore {
  const store = createStore<SwapHistoryState>()((set) => ({
    records: [],
    error: null,
    async load() {
      try {
        const fetched = await hub.call('models.swapHistory', { limit: SWAPS_KEPT });
        set((s) => ({ records: mergeSwaps(s.records, fetched), error: null }));
      } catch (err) {
        set({ error: err instanceof Error ? err.message : String(err) });
      }
    },
    dispose() {
      offSwap();
    },
  }));
  const offSwap = hub.on('swap', (event) => store.setState((s) => ({ records: mergeSwaps(s.records, [event.record]) })));
  return store;
}

/** The app-wide instance (kept while other screens are shown). */
export const appSwapHistoryStore = storeForHub((hub) => createSwapHistoryStore(hub));

function swapKey(r: SwapRecord): string {
  return `${r.atMs}|${r.action}|${r.modelId}|${r.slotId}`;
}

/** Both lists without duplicates, newest first (equal times keep their order of arrival), bounded. */
export function mergeSwaps(current: readonly SwapRecord[], incoming: readonly SwapRecord[]): SwapRecord[] {
  const seen = new Set<string>();
  const merged: SwapRecord[] = [];
  // The engine sends oldest first; arrival order is the tie-break for records of one millisecond.
  for (const record of [...[...current].reverse(), ...incoming]) {
    const key = swapKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(record);
  }
  return merged
    .reverse()
    .sort((a, b) => b.atMs - a.atMs)
    .slice(0, SWAPS_KEPT);
}
