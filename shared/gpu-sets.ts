import type { BackendSettings, Catalog, ModelEntry } from './catalog-schema.js';

/** The GPUs a model occupies: all of them (no `gpus` in the catalog) or a sorted, duplicate-free list. */
export type GpuSet = { all: true } | { all: false; gpus: number[] };

/** One slot of a catalog: one SGLang server on one port for every model with the same GPU set. */
export interface CatalogSlot {
  slotId: string;
  gpus: GpuSet;
  /** The slot's models in catalog order. */
  modelIds: string[];
}

/** How many ports the default backend.portRange holds, starting at backend.port. */
export const DEFAULT_PORT_RANGE_SIZE = 32;

/** The model's GPU set; a model without `gpus` uses all GPUs. */
export function gpuSetOf(model: Pick<ModelEntry, 'gpus'>): GpuSet {
  if (model.gpus === undefined) return { all: true };
  return { all: false, gpus: [...new Set(model.gpus)].sort((a, b) => a - b) };
}

/** The slot id of a GPU set: `all`, `gpu0-1-2`, or `none` for an empty list; valid as a systemd instance name and in URLs. */
export function gpuSetKey(set: GpuSet): string {
  if (set.all) return 'all';
  return set.gpus.length === 0 ? 'none' : `gpu${set.gpus.join('-')}`;
}

/** The GPUs both sets use. */
export function sharedGpus(a: GpuSet, b: GpuSet): GpuSet {
  if (a.all) return b;
  if (b.all) return a;
  const inB = new Set(b.gpus);
  return { all: false, gpus: a.gpus.filter((g) => inB.has(g)) };
}

/**
 * The slot a model runs in: its GPU set's (`gpu1-2`), or for a warm model a slot of its own,
 * `<GPU set>.<model id>` (`gpu1-2.mistral`; `+` written `_`), so its server can sleep on its own port
 * while others use the GPUs. Valid as a systemd instance name and in URLs.
 */
export function slotIdOf(model: Pick<ModelEntry, 'gpus' | 'id' | 'switchMode'>): string {
  const key = gpuSetKey(gpuSetOf(model));
  return model.switchMode === 'warm' ? `${key}.${model.id.replace(/\+/g, '_')}` : key;
}

/** True when the sets share at least one GPU (`all` shares with every non-empty set). */
export function overlaps(a: GpuSet, b: GpuSet): boolean {
  const shared = sharedGpus(a, b);
  return shared.all || shared.gpus.length > 0;
}

/** `all GPUs`, `GPU 2`, `GPUs 2,3`, or `no GPUs`. */
export function formatGpuSet(set: GpuSet): string {
  if (set.all) return 'all GPUs';
  if (set.gpus.length === 0) return 'no GPUs';
  return `${set.gpus.length === 1 ? 'GPU' : 'GPUs'} ${set.gpus.join(',')}`;
}

/** True for models the switchboard launches (they hold a slot); upstream models are served elsewhere. */
export function isSlotModel(model: Pick<ModelEntry, 'upstream'>): boolean {
  return model.upstream === undefined;
}

/** The catalog's slots in order of first appearance. */
export function listSlots(catalog: Pick<Catalog, 'models'>): CatalogSlot[] {
  const slots = new Map<string, CatalogSlot>();
  for (const model of catalog.models.filter(isSlotModel)) {
    const gpus = gpuSetOf(model);
    const slotId = slotIdOf(model);
    const slot = slots.get(slotId) ?? { slotId, gpus, modelIds: [] };
    slot.modelIds.push(model.id);
    slots.set(slotId, slot);
  }
  return [...slots.values()];
}

/** backend.portRange, or backend.port … backend.port+31 (capped at 65535) when it is not set. */
export function slotPortRange(backend: Pick<BackendSettings, 'port' | 'portRange'>): [number, number] {
  return backend.portRange ?? [backend.port, Math.min(backend.port + DEFAULT_PORT_RANGE_SIZE - 1, 65535)];
}

/**
 * The backend port of every slot. Explicit model ports first; then the `all` slot, or else the
 * first slot, takes backend.port when it lies in the range (a single-slot catalog keeps today's
 * port); the other slots take the range's free ports in catalog order, skipping router.port.
 * Throws when two slots claim one port, one slot's models ask for different ports, or the range runs out.
 */
export function assignSlotPorts(catalog: Pick<Catalog, 'models' | 'backend' | 'router'>): Map<string, number> {
  const slots = listSlots(catalog);
  const ports = assignExplicitPorts(catalog.models);
  const [first, last] = slotPortRange(catalog.backend);
  if (first > last) throw new Error(`backend.portRange [${first}, ${last}] is reversed; write [${last}, ${first}]`);
  const used = new Set(ports.values());
  const preferred = [slots.find((s) => s.gpus.all), slots[0]].find((s) => s !== undefined && !ports.has(s.slotId));
  const { port } = catalog.backend;
  if (preferred && port >= first && port <= last && !used.has(port)) {
    ports.set(preferred.slotId, port);
    used.add(port);
  }
  let next = first;
  for (const slot of slots) {
    if (ports.has(slot.slotId)) continue;
    while (next <= last && (used.has(next) || next === catalog.router.port)) next++;
    if (next > last) throw new Error(rangeExhausted(slot.slotId, slots, [first, last], catalog.router.port));
    ports.set(slot.slotId, next);
    used.add(next);
  }
  return new Map(slots.map((s) => [s.slotId, ports.get(s.slotId)!]));
}

function assignExplicitPorts(models: ModelEntry[]): Map<string, number> {
  const ports = new Map<string, number>();
  const owners = new Map<number, string>();
  for (const model of models.filter((m) => isSlotModel(m) && m.port !== undefined)) {
    const slotId = slotIdOf(model);
    const port = model.port!;
    const mine = ports.get(slotId);
    if (mine !== undefined && mine !== port) {
      throw new Error(`the models of slot ${slotId} ask for different ports (${mine} and ${port}); one slot has one port`);
    }
    const owner = owners.get(port);
    if (owner !== undefined && owner !== slotId) throw new Error(`port ${port} is given to two slots (${owner} and ${slotId})`);
    ports.set(slotId, port);
    owners.set(port, slotId);
  }
  return ports;
}

function rangeExhausted(slotId: string, slots: CatalogSlot[], [first, last]: [number, number], routerPort: number): string {
  const skipped = routerPort >= first && routerPort <= last ? `, router.port ${routerPort} excluded` : '';
  return `no free port left for slot ${slotId} in ${first}–${last}${skipped}: ${slots.length} GPU sets need a port each (${slots.map((s) => s.slotId).join(', ')})`;
}
