import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useEngineStore } from '../engine/engine-store.js';
import { LoadHistoryList } from './load-history-list.js';
import { SlotSwitchPanel } from './slot-switch-panel.js';
import { appSwitchStore, type SwitchStore } from './switch-store.js';

/** Switch progress: each slot's phase timeline, elapsed/ETA, failure, and the load history. */
export function SwitchScreen({ store = appSwitchStore() }: { store?: SwitchStore }) {
  const tracks = useStore(store, (s) => s.tracks);
  const history = useStore(store, (s) => s.history);
  const historyError = useStore(store, (s) => s.historyError);
  const failureLines = useStore(store, (s) => s.failureLines);
  const slots = useEngineStore((s) => s.state?.slots);
  useEffect(() => {
    void store.getState().loadHistory();
  }, [store]);
  return (
    <section className="screen" aria-labelledby="switch-title">
      <h1 id="switch-title" className="screen-title">
        Switch progress
      </h1>
      {tracks.length === 0 && <p className="dim">Waiting for the engine state…</p>}
      {tracks.map((track) => (
        <SlotSwitchPanel
          key={track.slotId}
          track={track}
          slot={slots?.find((s) => s.id === track.slotId)}
          failureLines={failureLines[track.slotId] ?? []}
        />
      ))}
      <h2 className="section-title">Load history</h2>
      <LoadHistoryList records={history} error={historyError} />
    </section>
  );
}
