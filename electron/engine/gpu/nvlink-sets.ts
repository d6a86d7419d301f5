// Groups of GPUs joined by NVLink, from `topo -m` (which names the peers) or `nvlink -s` (which does not).

import type { NvlinkSet, NvlinkStatus, Topology } from '../../../shared/gpu-types.js';
import { hasActiveNvlink } from '../../../shared/parse-nvlink-status.js';
import { nvlinkCount } from '../../../shared/parse-topo-matrix.js';

/**
 * NVLink-connected GPU sets of two or more, by GPU index, transitive (0–1 and 1–2 give [0, 1, 2]), sorted.
 * From `nvlink -s` alone the peers are unknown: two GPUs with active links must be each other's peer, but with
 * more than two the pairing cannot be told and no set is returned (prefer the topology).
 */
export function nvlinkSets(source: Topology | readonly NvlinkStatus[]): NvlinkSet[] {
  return isTopology(source) ? setsFromTopology(source) : setsFromStatus(source);
}

function isTopology(source: Topology | readonly NvlinkStatus[]): source is Topology {
  return !Array.isArray(source);
}

function setsFromStatus(status: readonly NvlinkStatus[]): NvlinkSet[] {
  const linked = status
    .filter(hasActiveNvlink)
    .map((gpu) => gpu.index)
    .sort((a, b) => a - b);
  return linked.length === 2 ? [linked] : [];
}

function setsFromTopology(topology: Topology): NvlinkSet[] {
  const gpus = topology.devices.flatMap((device, position) => (device.kind === 'gpu' && device.index !== null ? [{ index: device.index, position }] : []));
  const parent = new Map(gpus.map((gpu) => [gpu.index, gpu.index]));
  const root = (index: number): number => {
    let r = index;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const a of gpus) {
    for (const b of gpus) {
      if (nvlinkCount(topology.matrix[a.position]?.[b.position] ?? null) > 0) parent.set(root(a.index), root(b.index));
    }
  }
  const groups = new Map<number, number[]>();
  for (const gpu of gpus) groups.set(root(gpu.index), [...(groups.get(root(gpu.index)) ?? []), gpu.index]);
  return [...groups.values()]
    .filter((group): group is [number, number, ...number[]] => group.length > 1)
    .map((group) => group.sort((a, b) => a - b))
    .sort((a, b) => a[0] - b[0]);
}
