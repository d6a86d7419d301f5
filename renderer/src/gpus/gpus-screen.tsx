import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import type { HostStats } from '../../../shared/gpu-types.js';
import { apiHub } from '../api/api-hub.js';
import { formatMetric } from './format-metric.js';
import { GpuCard } from './gpu-card.js';
import { createGpusStore, type GpusStore } from './gpus-store.js';
import { PowerPresets } from './power-presets.js';
import { nvlinkOf } from './topology-grid.js';
import { TopologyMatrix } from './topology-matrix.js';
import './gpus.css';

/** Every GPU's telemetry and power limit, the presets, and the interconnect. */
export function GpusScreen({ store: given }: { store?: GpusStore } = {}) {
  const [store] = useState(() => given ?? createGpusStore(apiHub()));
  useEffect(() => store.getState().start(), [store]);
  const status = useStore(store, (s) => s.status);
  const reason = useStore(store, (s) => s.reason);
  const stale = useStore(store, (s) => s.stale);
  const samples = useStore(store, (s) => s.samples);
  const host = useStore(store, (s) => s.host);
  const nvlink = useStore(store, (s) => s.nvlink);
  const nvlinkSets = useStore(store, (s) => s.nvlinkSets);
  const topology = useStore(store, (s) => s.topology);
  const peers = useMemo(() => peersByIndex(nvlinkSets), [nvlinkSets]);

  if (status === 'idle' || status === 'loading')
    return (
      <section className="gpus-screen" aria-label="GPUs">
        <p role="status">Reading the GPUs…</p>
      </section>
    );
  if (status === 'unavailable' || status === 'error') {
    return (
      <section className="gpus-screen" aria-label="GPUs">
        <p className="gpu-unavailable" role="status" data-testid="gpu-unavailable">
          {status === 'unavailable' ? 'GPU telemetry is unavailable: ' : ''}
          {reason}
        </p>
        <button type="button" onClick={() => void store.getState().refresh()}>
          Try again
        </button>
      </section>
    );
  }
  return (
    <section className={stale ? 'gpus-screen gpus-stale' : 'gpus-screen'} aria-label="GPUs">
      <div className="gpu-section-head">
        <h2>GPUs</h2>
        <HostLine host={host} />
      </div>
      {stale && (
        <p role="alert" className="gpu-stale-note" data-testid="gpu-stale">
          <strong>Readings are stale:</strong> {stale.reason}. The values below are the last ones it gave; models and the router are not affected.
        </p>
      )}
      {reason && (
        <p role="alert" className="power-error">
          {reason}
        </p>
      )}
      <PowerPresets store={store} />
      <div className="gpu-cards">
        {samples.map((sample) => (
          <GpuCard key={sample.uuid} store={store} sample={sample} nvlink={nvlinkOf(nvlink, sample)} nvlinkPeers={peers.get(sample.index) ?? []} />
        ))}
      </div>
      <TopologyMatrix topology={topology} nvlinkSets={nvlinkSets} onReread={() => void store.getState().refresh({ refreshTopology: true })} />
    </section>
  );
}

function HostLine({ host }: { host: HostStats | null }) {
  if (!host) return null;
  const gib = (mib: number | null) => (mib === null ? null : mib / 1024);
  return (
    <span className="gpu-dim gpu-push" data-testid="host-stats">
      Host CPU {formatMetric(host.cpuLoadPct, '%')}
      {host.cpuCount !== null ? ` of ${host.cpuCount} cores` : ''} · RAM {formatMetric(gib(host.memUsedMiB), '', 1)} / {formatMetric(gib(host.memTotalMiB), 'GiB', 1)} · load{' '}
      {formatMetric(host.loadAvg1, '', 2)}
    </span>
  );
}

/** For each GPU, the other members of its NVLink set. */
function peersByIndex(sets: readonly number[][]): Map<number, number[]> {
  const peers = new Map<number, number[]>();
  for (const set of sets)
    for (const index of set)
      peers.set(
        index,
        set.filter((other) => other !== index),
      );
  return peers;
}
