import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import { assignSlotPorts, formatGpuSet, gpuSetOf, isSlotModel, listSlots, overlaps, sharedGpus, slotIdOf, slotPortRange } from '../../../shared/gpu-sets.js';
import { closestName } from './closest-name.js';
import type { PathSegment } from './format-field-path.js';
import type { IssueCollector } from './issue-collector.js';

/** Checks for models running side by side: preload, defaultModel, pinning, slot ports, systemd instances. */
export function checkCatalogLifecycle(catalog: Catalog, out: IssueCollector): void {
  checkPreload(catalog, out);
  checkDefaultModel(catalog, out);
  checkSlotPorts(catalog, out);
  checkSystemdTemplate(catalog, out);
}

/** The model a preload or defaultModel entry names, with its index, or undefined (reported) when none. */
function resolveModelRef(models: ModelEntry[], name: string, path: PathSegment[], out: IssueCollector): { model: ModelEntry; i: number } | undefined {
  const i = models.findIndex((m) => m.id === name || m.aliases.includes(name));
  const model = models[i];
  if (model) return { model, i };
  const guess = closestName(
    name,
    models.flatMap((m) => [m.id, ...m.aliases]),
  );
  const hint = guess ? ` (did you mean "${guess}"?)` : models.length > 0 ? `; known: ${models.map((m) => m.id).join(', ')}` : '; the catalog has no models';
  out.error(path, `unknown model "${name}"${hint}`);
  return undefined;
}

function checkPreload({ models, preload }: Catalog, out: IssueCollector): void {
  /** Model index → the preloaded model and the preload entry that first listed it. */
  const listedAt = new Map<number, { model: ModelEntry; j: number }>();
  preload.forEach((name, j) => {
    const ref = resolveModelRef(models, name, ['preload', j], out);
    if (ref === undefined) return;
    const { model, i } = ref;
    const earlier = listedAt.get(i);
    if (earlier !== undefined) return out.warning(['preload', j], `"${model.id}" is already listed as preload[${earlier.j}]`);
    if (!isSlotModel(model)) return out.warning(['preload', j], `"${model.id}" is served elsewhere (upstream) and always on; preloading does nothing`);
    const gpus = gpuSetOf(model);
    for (const { model: other, j: jk } of listedAt.values()) {
      if (!isSlotModel(other) || !overlaps(gpus, gpuSetOf(other))) continue;
      const shared = formatGpuSet(sharedGpus(gpus, gpuSetOf(other)));
      out.error(['preload', j], `"${model.id}" and "${other.id}" (preload[${jk}]) both need ${shared}; preloaded models run side by side and need disjoint gpus`);
    }
    listedAt.set(i, { model, j });
  });
}

/** A pinned model sharing GPUs with the default would keep the default out for good once it runs. */
function checkDefaultModel({ models, defaultModel }: Catalog, out: IssueCollector): void {
  if (defaultModel === undefined) return;
  const ref = resolveModelRef(models, defaultModel, ['defaultModel'], out);
  if (ref === undefined || !isSlotModel(ref.model)) return;
  const { model: dflt, i: d } = ref;
  const defaultGpus = gpuSetOf(dflt);
  models.forEach((model, i) => {
    if (!model.pinned || i === d || !isSlotModel(model)) return;
    const gpus = gpuSetOf(model);
    if (!overlaps(gpus, defaultGpus)) return;
    out.error(
      ['models', i, 'pinned'],
      `"${model.id}" is pinned on ${formatGpuSet(gpus)}, which defaultModel "${dflt.id}" also needs (${formatGpuSet(sharedGpus(gpus, defaultGpus))}); ` +
        'once it runs, the default could never come back; unpin it or give the two disjoint gpus',
    );
  });
}

function checkSlotPorts(catalog: Catalog, out: IssueCollector): void {
  const [first, last] = slotPortRange(catalog.backend);
  const explicitRange = catalog.backend.portRange !== undefined;
  let clean = true;
  const fail = (path: PathSegment[], message: string) => {
    out.error(path, message);
    clean = false;
  };
  if (first > last) fail(['backend', 'portRange'], `is reversed (${first} > ${last}); write [${last}, ${first}]`);
  const rangeText = explicitRange ? `backend.portRange (${first}–${last})` : `the slot ports ${first}–${last} (backend.port and the 31 after it); set backend.portRange to use others`;
  /** Port → the first model on it, and slot → the first model in it with an explicit port (with their indexes). */
  const portOwner = new Map<number, { other: ModelEntry; at: number }>();
  const slotOwner = new Map<string, { other: ModelEntry; at: number }>();
  catalog.models.forEach((model, i) => {
    if (!isSlotModel(model) || model.port === undefined) return;
    const slotId = slotIdOf(model);
    if (first <= last && (model.port < first || model.port > last)) fail(['models', i, 'port'], `${model.port} is outside ${rangeText}`);
    const samePort = portOwner.get(model.port);
    if (samePort !== undefined && slotIdOf(samePort.other) !== slotId) {
      const { other, at } = samePort;
      fail(
        ['models', i, 'port'],
        `${model.port} is also the port of "${other.id}" (models[${at}]) on ${formatGpuSet(gpuSetOf(other))}; models on different GPU sets run side by side and need their own ports`,
      );
    }
    const sameSlot = slotOwner.get(slotId);
    if (sameSlot !== undefined && sameSlot.other.port !== model.port) {
      const { other, at } = sameSlot;
      fail(
        ['models', i, 'port'],
        `"${model.id}" shares ${formatGpuSet(gpuSetOf(model))} (one server, one port) with "${other.id}" (models[${at}]), whose port is ${other.port}; give both the same port or drop one`,
      );
    }
    if (samePort === undefined) portOwner.set(model.port, { other: model, at: i });
    if (sameSlot === undefined) slotOwner.set(slotId, { other: model, at: i });
  });
  if (clean) checkRangeSize(catalog, explicitRange, out);
}

function checkRangeSize(catalog: Catalog, explicitRange: boolean, out: IssueCollector): void {
  try {
    assignSlotPorts(catalog);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    out.error(['backend', 'portRange'], explicitRange ? `is too small: ${why}` : `the default slot ports are too few: ${why}; set backend.portRange`);
  }
}

/** Each slot runs as its own instance of the unit (`sglang@gpu0-1.service`), so several need a template. */
function checkSystemdTemplate({ backend, models }: Catalog, out: IssueCollector): void {
  if (backend.kind !== 'systemd' || /@\.service$/.test(backend.unit)) return;
  const slots = listSlots({ models });
  if (slots.length < 2) return;
  const template = `${backend.unit.slice(0, -'.service'.length).split('@')[0]}@.service`;
  const sets = slots.map((s) => formatGpuSet(s.gpus)).join('; ');
  out.error(
    ['backend', 'unit'],
    `${backend.unit} is not a template unit, but the models use ${slots.length} GPU sets (${sets}), each run as its own instance; use a template unit such as ${template}`,
  );
}
