import { useEffect, useState } from 'react';
import { apiHub } from '../api/api-hub.js';
import { BenchPanel } from './bench-panel.js';
import { BenchTable } from './bench-table.js';
import { ThroughputChart } from './throughput-chart.js';
import { createThroughputStore, type ThroughputStore } from './throughput-store.js';
import './throughput.css';

/** Live tok/s of the active model, the built-in benchmark, and its history table. */
export function ThroughputScreen({ store: given }: { store?: ThroughputStore } = {}) {
  const [store] = useState(() => given ?? createThroughputStore(apiHub()));
  useEffect(() => store.getState().start(), [store]);
  return (
    <section className="throughput-screen" aria-label="Throughput">
      <ThroughputChart store={store} />
      <BenchPanel store={store} />
      <BenchTable store={store} />
    </section>
  );
}
