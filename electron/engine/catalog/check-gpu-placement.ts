import type { Catalog } from '../../../shared/catalog-schema.js';
import type { Topology } from '../../../shared/gpu-types.js';
import { checkTpPlacement } from '../gpu/check-tp-placement.js';
import { nvlinkSets } from '../gpu/nvlink-sets.js';
import type { IssueCollector } from './issue-collector.js';

/**
 * Warns for each launched model whose `gpus` make a TP group talk over PCIe/SYS while an NVLink-connected
 * group of that size exists. Pure: the topology is read by the caller (`nvidia-smi topo -m`).
 */
export function checkGpuPlacement(catalog: Catalog, topology: Topology, out: IssueCollector): void {
  const sets = nvlinkSets(topology);
  if (sets.length === 0) return;
  catalog.models.forEach((model, i) => {
    if (model.gpus === undefined || model.upstream !== undefined || model.script !== undefined) return;
    const { warning } = checkTpPlacement(model.gpus, model.tp, sets, topology);
    if (warning) out.warning(['models', i, 'gpus'], warning);
  });
}
