import { useState } from 'react';
import type { NvlinkSet, Topology } from '../../../shared/gpu-types.js';
import { buildTopologyGrid, describeNvlinkSet } from './topology-grid.js';

/** The `topo -m` matrix with NVLink pairs highlighted, its legend, and the NVLink-connected GPU sets. */
export function TopologyMatrix({ topology, nvlinkSets, onReread }: { topology: Topology | null; nvlinkSets: NvlinkSet[]; onReread(): void }) {
  const [showNics, setShowNics] = useState(false);
  const hasNics = topology?.devices.some((d) => d.kind === 'nic') ?? false;
  const grid = topology ? buildTopologyGrid(topology, { includeNics: showNics }) : null;
  return (
    <section className="gpu-topology" aria-labelledby="gpu-topology-title">
      <div className="gpu-section-head">
        <h2 id="gpu-topology-title">Topology</h2>
        {hasNics && (
          <label className="gpu-push">
            <input type="checkbox" checked={showNics} onChange={(e) => setShowNics(e.target.checked)} /> Show NICs
          </label>
        )}
        <button type="button" className={hasNics ? undefined : 'gpu-push'} onClick={onReread}>
          Re-read topology
        </button>
      </div>
      {!grid ? (
        <p className="gpu-dim">The topology (nvidia-smi topo -m) could not be read.</p>
      ) : (
        <>
          <div className="topo-scroll">
            <table className="topo-matrix" data-testid="topology-matrix">
              <caption className="gpu-visually-hidden">Connection between each pair of devices; NVLink pairs highlighted</caption>
              <thead>
                <tr>
                  <td />
                  {grid.columns.map((label) => (
                    <th key={label} scope="col">
                      {label}
                    </th>
                  ))}
                  <th scope="col">CPU affinity</th>
                  <th scope="col">NUMA</th>
                </tr>
              </thead>
              <tbody>
                {grid.rows.map((row) => (
                  <tr key={row.label}>
                    <th scope="row">{row.label}</th>
                    {row.cells.map((cell, j) => (
                      <td key={j} className={`topo-cell topo-${cell.kind}`} data-kind={cell.kind} title={cell.title} aria-label={cell.title}>
                        {cell.text}
                      </td>
                    ))}
                    <td className="gpu-dim">{row.cpuAffinity ?? '—'}</td>
                    <td className="gpu-dim">{row.numaAffinity ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ul className="topo-legend" aria-label="Legend">
            {grid.legend.map((entry) => (
              <li key={entry.symbol}>
                <span className={`topo-swatch topo-${entry.kind}`} aria-hidden="true" />
                <strong>{entry.symbol}</strong> {entry.description}
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="nvlink-sets">
        <h3>NVLink sets</h3>
        {nvlinkSets.length === 0 ? (
          <p className="gpu-dim">No GPUs are connected by NVLink.</p>
        ) : (
          <ul data-testid="nvlink-sets">
            {nvlinkSets.map((set) => (
              <li key={set.join('-')}>{describeNvlinkSet(set)}</li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
