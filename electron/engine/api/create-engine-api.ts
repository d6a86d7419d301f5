import type { EngineState } from '../../../shared/engine-state.js';
import type { Topology } from '../../../shared/gpu-types.js';
import type { ApiHandlers } from '../../../shared/switchboard-api.js';
import { CatalogEditor, type ModelActivity } from '../catalog/catalog-editor.js';
import type { Engine } from '../engine-api.js';
import { createApiHandlers } from './api-handlers.js';

export interface EngineApiOptions {
  /** Check model paths and config.json files when editing (default true). */
  checkFiles?: boolean;
  /** The GPU topology for the NVLink warnings; default: the engine's GPU monitor's. */
  topology?: () => Topology | null | Promise<Topology | null>;
}

/** What a transport needs: the handlers for dispatchApiCall, and the editor behind the catalog methods. */
export interface EngineApi {
  handlers: ApiHandlers;
  catalogEditor: CatalogEditor;
}

/**
 * Builds the catalog editor over `configPath` (written changes go live through
 * engine.replaceCatalog) and the API handlers. Transports call
 * `dispatchApiCall(api.handlers, method, params)`.
 */
export function createEngineApi(engine: Engine, configPath: string, options: EngineApiOptions = {}): EngineApi {
  const catalogEditor = new CatalogEditor({
    path: configPath,
    checkFiles: options.checkFiles,
    topology: options.topology ?? (async () => (await engine.gpu()).topology),
    modelActivity: () => modelActivity(engine.state()),
    onApplied: (catalog, revision) => engine.replaceCatalog(catalog, revision),
    runningCatalog: () => engine.catalog(),
  });
  return { handlers: createApiHandlers(engine, { catalogEditor }), catalogEditor };
}

/** The models a slot holds (loaded, loading, stopping), is switching to, or has queued. */
export function modelActivity(state: EngineState): Map<string, ModelActivity> {
  const out = new Map<string, ModelActivity>();
  for (const slot of state.slots) {
    for (const queued of slot.queue) out.set(queued.modelId, 'queued');
    if (slot.pending) out.set(slot.pending.modelId, 'loading');
    if (slot.modelId === null) continue;
    if (slot.status === 'ready' || slot.status === 'stopping') out.set(slot.modelId, 'loaded');
    if (slot.status === 'starting' || slot.status === 'loading') out.set(slot.modelId, 'loading');
  }
  return out;
}
