// Loading the catalog where it will run: after the file's own checks pass, the GPU topology is read with the
// catalog's nvidia-smi and the catalog is checked again with it (NVLink placement warnings, with lines).

import { stat } from 'node:fs/promises';
import { catalogSchema } from '../../../shared/catalog-schema.js';
import type { GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import { readTopology } from '../gpu/read-topology.js';
import { loadCatalogFile, type CatalogLoadResult } from './load-catalog.js';

export interface HostCatalog {
  loaded: CatalogLoadResult;
  /** Null when the catalog did not load or nvidia-smi gave no topology (no GPU, no driver). */
  topology: GpuTopologySnapshot | null;
  /**
   * True when the file did not exist and `allowMissing` was given: `loaded` is then the empty catalog
   * (the schema's defaults, no models) and the engine is to start in setup mode (`createEngine`'s `firstRun`).
   */
  missing?: true;
}

/** The topology reader (tests pass their own). */
export type TopologyReader = (nvidiaSmiPath: string | undefined) => Promise<GpuTopologySnapshot>;

export interface LoadCatalogOnHostOptions {
  /**
   * A catalog file that does not exist is not an error: the result is the empty catalog with
   * `missing: true` (first run). A file that exists but cannot be read or is not valid still is.
   */
  allowMissing?: boolean;
  readTopology?: TopologyReader;
}

/** The catalog an engine in setup mode runs on: router, backend and GPU defaults, no models. */
export function emptyCatalog() {
  return catalogSchema.parse({});
}

/**
 * loadCatalogFile plus the host's topology. The second argument is the options, or (older form) the
 * topology reader. With `allowMissing`, a missing file gives the empty catalog and `missing: true`:
 *
 *   const host = await loadCatalogOnHost(configPath, { allowMissing: true });
 *   if (!host.loaded.ok) … // the file exists but has errors
 *   const engine = await createEngine({ catalog: host.loaded.catalog, configPath, stateDir, firstRun: host.missing === true, … });
 */
export async function loadCatalogOnHost(path: string, options: LoadCatalogOnHostOptions | TopologyReader = {}): Promise<HostCatalog> {
  const opts = typeof options === 'function' ? { readTopology: options } : options;
  const read = opts.readTopology ?? readTopology;
  if (opts.allowMissing && (await isMissing(path))) {
    const catalog = emptyCatalog();
    const topology = await read(catalog.gpu.nvidiaSmiPath);
    return { loaded: { ok: true, catalog, issues: [] }, topology: topology.topology ? topology : null, missing: true };
  }
  const loaded = await loadCatalogFile(path);
  if (!loaded.ok) return { loaded, topology: null };
  const topology = await read(loaded.catalog.gpu.nvidiaSmiPath);
  if (!topology.topology) return { loaded, topology: null };
  return { loaded: await loadCatalogFile(path, { topology: topology.topology }), topology };
}

/** ENOENT only (a dangling symlink too): a file we may not read is not "missing". */
async function isMissing(path: string): Promise<boolean> {
  try {
    await stat(path);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
