// Loading the catalog where it will run: after the file's own checks pass, the GPU topology is read with the
// catalog's nvidia-smi and the catalog is checked again with it (NVLink placement warnings, with lines).

import type { GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import { readTopology } from '../gpu/read-topology.js';
import { loadCatalogFile, type CatalogLoadResult } from './load-catalog.js';

export interface HostCatalog {
  loaded: CatalogLoadResult;
  /** Null when the catalog did not load or nvidia-smi gave no topology (no GPU, no driver). */
  topology: GpuTopologySnapshot | null;
}

/** loadCatalogFile plus the host's topology; `read` is the topology reader (tests pass their own). */
export async function loadCatalogOnHost(
  path: string,
  read: (nvidiaSmiPath: string | undefined) => Promise<GpuTopologySnapshot> = readTopology,
): Promise<HostCatalog> {
  const loaded = await loadCatalogFile(path);
  if (!loaded.ok) return { loaded, topology: null };
  const topology = await read(loaded.catalog.gpu.nvidiaSmiPath);
  if (!topology.topology) return { loaded, topology: null };
  return { loaded: await loadCatalogFile(path, { topology: topology.topology }), topology };
}
