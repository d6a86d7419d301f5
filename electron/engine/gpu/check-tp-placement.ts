// Catalog validation hint: tensor-parallel all-reduces over PCIe/SYS are slow when NVLink-joined GPUs are free to use.

import type { NvlinkSet, TopoConnection, Topology } from '../../../shared/gpu-types.js';
import { nvlinkCount } from '../../../shared/parse-topo-matrix.js';

const PCIE_PATHS: TopoConnection[] = ['PIX', 'PXB', 'PHB', 'NODE', 'SYS'];

/**
 * Warns when a TP group of a model's `gpus` (consecutive runs of `tp`, as data-parallel replicas take them)
 * talks over PCIe/SYS while an NVLink set holds `tp` GPUs that are pairwise NVLink-connected. Pure; GPUs the
 * topology does not list are not judged.
 */
export function checkTpPlacement(gpus: readonly number[], tp: number, sets: readonly NvlinkSet[], topology: Topology): { warning?: string } {
  if (tp < 2) return {};
  const nvlinkGroup = findNvlinkGroup(tp, sets, topology);
  if (!nvlinkGroup) return {};
  const [bondA, bondB] = nvlinkGroup;
  if (bondA === undefined || bondB === undefined) return {}; // findNvlinkGroup returns tp ≥ 2 GPUs
  for (let start = 0; start + tp <= gpus.length; start += tp) {
    const group = gpus.slice(start, start + tp);
    const slowest = slowestPair(group, topology);
    if (!slowest) continue;
    const [a, b, path] = slowest;
    const bond = connection(topology, bondA, bondB);
    return {
      warning: `TP group [${group.join(', ')}] talks over ${path} (GPU${a}–GPU${b}, no NVLink), ` + `but GPUs [${nvlinkGroup.join(', ')}] are NVLink-connected (${bond}); list them together in gpus.`,
    };
  }
  return {};
}

/** The farthest PCIe path between two members of the group, or null when all pairs use NVLink (or are unknown). */
function slowestPair(group: number[], topology: Topology): [number, number, TopoConnection] | null {
  let worst: [number, number, TopoConnection] | null = null;
  for (const [i, a] of group.entries()) {
    for (const b of group.slice(i + 1)) {
      const path = connection(topology, a, b);
      if (path === null || !PCIE_PATHS.includes(path)) continue;
      if (!worst || PCIE_PATHS.indexOf(path) > PCIE_PATHS.indexOf(worst[2])) worst = [a, b, path];
    }
  }
  return worst;
}

/** `size` GPUs of one set, each NVLink-connected to every other (a chain 0–1–2 is a set but not such a group). */
function findNvlinkGroup(size: number, sets: readonly NvlinkSet[], topology: Topology): number[] | null {
  for (const set of sets) {
    for (const start of set) {
      const group = [start];
      for (const candidate of set) {
        if (group.length === size) break;
        if (candidate !== start && group.every((member) => nvlinkCount(connection(topology, member, candidate)) > 0)) group.push(candidate);
      }
      if (group.length === size) return group.sort((a, b) => a - b);
    }
  }
  return null;
}

function connection(topology: Topology, gpuA: number, gpuB: number): TopoConnection | null {
  const position = (gpu: number) => topology.devices.findIndex((d) => d.kind === 'gpu' && d.index === gpu);
  const [a, b] = [position(gpuA), position(gpuB)];
  return a < 0 || b < 0 ? null : (topology.matrix[a]?.[b] ?? null);
}
