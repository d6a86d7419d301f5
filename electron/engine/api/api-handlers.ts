import { modelEntrySchema, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { EngineState, SlotView } from '../../../shared/engine-state.js';
import type { FitEstimate } from '../../../shared/fit-estimate.js';
import type { ApiHandlers, ClientSwitchCause, SimulatedHostStart } from '../../../shared/switchboard-api.js';
import type { CatalogEditor } from '../catalog/catalog-editor.js';
import { unknownModelError } from '../catalog/resolve-model-id.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';

/** Log lines `logs.tail` returns when the caller gives no count. */
const DEFAULT_LOG_TAIL = 200;

export interface ApiHandlersOptions {
  catalogEditor: CatalogEditor;
  /** `setup.startSimulatedHost` (createEngineApi gives it; without it the method is `unavailable`). */
  startSimulatedHost?: () => Promise<SimulatedHostStart>;
}

/**
 * The engine side of the UI contract: one handler per method of ApiMethods, mapped onto the Engine
 * and the catalog editor. Params arrive checked (dispatchApiCall); errors are EngineErrors.
 */
export function createApiHandlers(engine: Engine, options: ApiHandlersOptions): ApiHandlers {
  const editor = options.catalogEditor;
  const handlers: ApiHandlers = {
    'state.get': async () => engine.state(),
    'models.list': async () => engine.state().models,
    'models.switchTo': ({ model, wait, cause, force }) => switchTo(engine, model, wait ?? false, cause ?? 'manual', force ?? false),
    'models.stop': async ({ cause }) => {
      await engine.stop(cause ?? 'manual');
      return { stopped: true };
    },
    'models.fit': async ({ model }) => {
      if (!engine.resolveModel(model)) throw unknownModelError(engine.catalog(), model);
      return engine.estimateFit(model);
    },
    'models.loadHistory': async ({ model, limit }) => engine.loadHistory({ model, limit }),
    'models.unload': async ({ model }) => {
      await engine.unload(model, 'manual');
      return { unloaded: true as const };
    },
    'models.swapHistory': async ({ limit }) => engine.swapHistory({ limit }),

    'catalog.get': () => editor.document(),
    'catalog.preview': async ({ change }) => {
      const preview = await editor.preview(change);
      return change.op === 'add' || change.op === 'edit' ? { ...preview, fit: await draftFit(engine, change.model) } : preview;
    },
    'catalog.apply': ({ change, expectedRevision }) => editor.apply(change, expectedRevision),
    'catalog.importScripts': (params) => editor.importScripts(params),

    'logs.tail': async ({ tail }) => engine.logs(tail ?? DEFAULT_LOG_TAIL),
    'requests.list': async (filter) => engine.requestLog(filter),

    'gpu.overview': ({ refreshTopology }) => engine.gpu({ refreshTopology }),
    'gpu.history': async ({ gpu, sinceMs }) => engine.gpuHistory(gpu, sinceMs),
    'gpu.setPowerLimit': ({ gpu, watts, revertAfterS }) => engine.setPowerLimit(gpu, watts, revertAfterS),
    'gpu.confirmPowerLimit': ({ changeId }) => engine.confirmPowerLimit(changeId),
    'gpu.revertPowerLimit': ({ changeId }) => engine.revertPowerLimit(changeId),
    'gpu.applyPreset': ({ watts, revertAfterS }) => engine.applyPowerPreset(watts, revertAfterS),

    'throughput.samples': async ({ model, sinceMs }) => engine.throughput(model, sinceMs),
    'bench.run': ({ model, maxTokens }) => engine.runBenchmark(model, { maxTokens }),
    'bench.history': async () => engine.benchHistory(),

    'settings.get': () => editor.settings(),
    'settings.update': ({ patch, expectedRevision }) => editor.updateSettings(patch, expectedRevision),

    'setup.startSimulatedHost': async () => {
      if (!options.startSimulatedHost) throw new EngineError('unavailable', 'this engine does not offer the simulated host; run `switchboard demo` to try it');
      return options.startSimulatedHost();
    },
  };
  return handlers;
}

/**
 * The fit estimate of the model form's draft (the live estimate under its fields): null while the
 * draft is not a valid entry, or when there is nothing to estimate from (no config.json, a script).
 */
async function draftFit(engine: Engine, input: ModelEntryInput): Promise<FitEstimate | null> {
  const parsed = modelEntrySchema.safeParse(input);
  if (!parsed.success) return null;
  return engine.estimateFitOf(parsed.data).catch(() => null);
}

/**
 * wait=true: resolves when the model is ready (rejects with load_failed). wait=false: returns the
 * slot once the switch is queued (its state shows it pending or loading); how the load ends reaches
 * the client through the `state` and `load` events. An unknown model is refused at once either way, and
 * so is one the fit estimate says will not fit its GPUs (`will_not_fit`), unless `force`.
 */
async function switchTo(engine: Engine, modelIdOrAlias: string, wait: boolean, cause: ClientSwitchCause, force: boolean): Promise<SlotView> {
  const model = engine.resolveModel(modelIdOrAlias);
  if (!model) throw unknownModelError(engine.catalog(), modelIdOrAlias);
  if (model.upstream !== undefined) {
    throw new EngineError('bad_request', `${model.id} is served elsewhere (${model.upstream}); it is never switched`, { modelId: model.id });
  }
  // Checked here too so the caller gets the refusal as the answer (the queue checks again in the load's turn).
  if (!force) await engine.checkFit(model.id);
  const load = engine.ensureReady(model.id, cause, { force });
  if (wait) return load;
  const refused = await refusalWithinTick(load);
  if (refused) throw refused;
  return slotOf(engine.state(), model.id);
}

/** The error when the load is refused straight away (a closing engine), else undefined once a tick passed. */
function refusalWithinTick(load: Promise<unknown>): Promise<unknown> {
  const refusal = load.then(
    () => undefined,
    (err: unknown) => err,
  );
  return Promise.race([refusal, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
}

function slotOf(state: EngineState, modelId: string): SlotView {
  const holds = (s: SlotView) => s.modelId === modelId || s.pending?.modelId === modelId || s.queue.some((q) => q.modelId === modelId);
  const own = state.slots.find((s) => s.id === state.models.find((m) => m.id === modelId)?.slotId);
  const slot = state.slots.find(holds) ?? own;
  if (!slot) throw new EngineError('internal', `no slot for ${modelId}`);
  return slot;
}
