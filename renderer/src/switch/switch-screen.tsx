import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { SlotView } from '../../../shared/engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';
import { LoadHistoryList } from './load-history-list.js';
import { SlotSwitchPanel } from './slot-switch-panel.js';
import { SwapHistoryTable } from './swap-history-table.js';
import { appSwapHistoryStore, type SwapHistoryStore } from './swap-history-store.js';
import { appSwitchStore, type SwitchStore } from './switch-store.js';
import { visibleTracks } from './visible-tracks.js';

const NO_SLOTS: SlotView[] = [];

/** Switch progress: a panel per busy slot (phase timeline, elapsed/ETA, failure), the swap history and the load history. */
export function SwitchScreen({ store = appSwitchStore(), swaps = appSwapHistoryStore() }: { store?: SwitchStore; swaps?: SwapHistoryStore }) {
  const tracks = useStore(store, (s) => s.tracks);
  const history = useStore(store, (s) => s.history);
  const historyError = useStore(store, (s) => s.historyError);
  const failureLines = useStore(store, (s) => s.failureLines);
  const swapRecords = useStore(swaps, (s) => s.records);
  const swapError = useStore(swaps, (s) => s.error);
  const hasState = useEngineStore((s) => s.state !== null);
  const slots = useEngineStore((s) => s.state?.slots ?? NO_SLOTS);
  useEffect(() => {
    void store.getState().loadHistory();
  }, [store]);
  useEffect(() => {
    void swaps.getState().load();
  }, [swaps]);
  const shown = visibleTracks(tracks);
  return (
    <section className="screen" aria-labelledby="switch-title">
      <h1 id="switch-title" className="screen-title">
        Switch progress
      </h1>
      {!hasState && <p className="dim">Waiting for the engine state…</p>}
      {hasState && shown.length === 0 && <p className="dim">No backend slots: the catalog has no model to launch.</p>}
      {shown.map((track) => (
        <SlotSwitchPanel key={track.slotId} track={track} slot={slots.find((s) => s.id === track.slotId)} failureLines={failureLines[track.slotId] ?? []} />
      ))}
      <h2 className="section-title">Swap history</h2>
      <SwapHistoryTable records={swapRecords} error={swapError} slots={slots} />
      <h2 className="section-title">Load history</h2>
      <LoadHistoryList records={history} error={historyError} />
    </section>
  );
}
