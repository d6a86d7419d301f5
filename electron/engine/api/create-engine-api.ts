import type { EngineState } from '../../../shared/engine-state.js';
import type { Topology } from '../../../shared/gpu-types.js';
import type { ApiHandlers } from '../../../shared/switchboard-api.js';
import type { Catalog } from '../../../shared/catalog-schema.js';
import type { EngineNotice } from '../../../shared/engine-state.js';
import { CatalogEditor, type ModelActivity } from '../catalog/catalog-editor.js';
import { CatalogWatcher, type CatalogReloadEvent } from '../catalog/catalog-watcher.js';
import { CATALOG_RELOAD_NOTICE, describeCatalogReload } from '../catalog/describe-catalog-reload.js';
import type { Engine } from '../engine-api.js';
import { isLoopbackHost } from './access/access-policy.js';
import { createApiHandlers } from './api-handlers.js';
import { deferRestart, simulatedHostDir, startSimulatedHost, type RequestRestart, type SimulatedHostWriter } from './simulated-host.js';

export type { EngineRestartRequest, RequestRestart, SimulatedHostWriter } from './simulated-host.js';

export interface EngineApiOptions {
  /** Check model paths and config.json files when editing (default true). */
  checkFiles?: boolean;
  /** The GPU topology for the NVLink warnings; default: the engine's GPU monitor's. */
  topology?: () => Topology | null | Promise<Topology | null>;
  /**
   * How the engine asks its host to restart it on another catalog (the desktop app's supervisor passes
   * one; plain `switchboard serve` none). Used in setup mode only: by `setup.startSimulatedHost`
   * (refused without it), and when the first catalog written needs a restart (a changed router port).
   */
  requestRestart?: RequestRestart;
  /**
   * Writes the simulated host for `setup.startSimulatedHost`: pass the CLI's `writeDemoHost`
   * (electron/engine/catalog/write-demo-host.ts), passed by hosts that can restart the engine. Without it, or
   * without `requestRestart`, the method says to run `switchboard demo` instead.
   */
  writeSimulatedHost?: SimulatedHostWriter;
  /** The engine's state dir: the simulated host is written into `<stateDir>/simulated-host` (a temp folder without one). */
  stateDir?: string | null;
  /** Where reloads of the catalog file (`catalogWatcher`) are reported; without it they are not. */
  catalogReload?: CatalogReloadSink;
  /**
   * The address the engine's HTTP server is bound to. Beyond loopback, a save or a hand edit that leaves no
   * router.adminKeys is refused like any invalid catalog: it would lock other machines out of the admin API.
   */
  bindHost?: string;
}

/** The host's side of catalog reloads: a line for the log, the reload notice set or cleared. */
export interface CatalogReloadSink {
  log(line: string): void;
  notice(id: string, notice: { level: EngineNotice['level']; message: string } | null): void;
}

/** What a transport needs: the handlers for dispatchApiCall, and the editor behind the catalog methods. */
export interface EngineApi {
  handlers: ApiHandlers;
  catalogEditor: CatalogEditor;
  /** Applies hand edits of the catalog file like the editor's saves; the host starts and closes it. */
  catalogWatcher: CatalogWatcher;
}

/**
 * Builds the catalog editor over `configPath` (written changes go live through
 * engine.replaceCatalog), the catalog watcher (a hand edit of the file goes live the same way, checked
 * the same way) and the API handlers. Transports call `dispatchApiCall(api.handlers, method, params)`.
 *
 * An engine in setup mode (createEngine's `firstRun`: `configPath` does not exist yet) needs nothing
 * more: `catalog.get` reads an empty document with the path, and the first `catalog.apply` or
 * `catalog.importScripts` creates the file (and its folders), which ends setup mode. Pass `stateDir` and,
 * when the host can restart the engine, `requestRestart`.
 */
export function createEngineApi(engine: Engine, configPath: string, options: EngineApiOptions = {}): EngineApi {
  const topology = options.topology ?? (async () => (await engine.gpu()).topology);
  const exposedOn = options.bindHost !== undefined && !isLoopbackHost(options.bindHost) ? options.bindHost : undefined;
  // What a save does once the file is written, whether the editor or someone else wrote it.
  const applyCatalog = (catalog: Catalog, revision: string): string[] => {
    const firstCatalog = engine.state().setup !== undefined;
    const restartRequired = engine.replaceCatalog(catalog, revision);
    catalogWatcher.noteApplied(revision);
    // Models apply live; only settings read at start (router.port, …) need the engine started again.
    if (firstCatalog && restartRequired.length > 0 && options.requestRestart) deferRestart(options.requestRestart, { configPath });
    return restartRequired;
  };
  const catalogEditor: CatalogEditor = new CatalogEditor({
    path: configPath,
    checkFiles: options.checkFiles,
    topology,
    modelActivity: () => modelActivity(engine.state()),
    onApplied: applyCatalog,
    runningCatalog: () => engine.catalog(),
    serializeWrite: (write) => catalogWatcher.whileWriting(write),
    exposedOn,
  });
  const catalogWatcher: CatalogWatcher = new CatalogWatcher({
    path: configPath,
    // A hand edit is checked exactly as a save from the UI.
    check: (text) => catalogEditor.check(text),
    running: () => engine.catalog(),
    apply: applyCatalog,
    report: (event) => reportReload(event, configPath, engine, options.catalogReload),
  });
  const simulatedHost = () => startSimulatedHost({ engine, dir: simulatedHostDir(options.stateDir), requestRestart: options.requestRestart, writeSimulatedHost: options.writeSimulatedHost });
  return { handlers: createApiHandlers(engine, { catalogEditor, startSimulatedHost: simulatedHost }), catalogEditor, catalogWatcher };
}

function reportReload(event: CatalogReloadEvent, configPath: string, engine: Engine, sink: CatalogReloadSink | undefined): void {
  if (!sink) return;
  const report = describeCatalogReload(event, configPath, modelActivity(engine.state()));
  if (report.log !== undefined) sink.log(report.log);
  if (report.notice !== undefined) sink.notice(CATALOG_RELOAD_NOTICE, report.notice);
}

/** The models a slot holds (loaded, loading, stopping, asleep: a sleeping server keeps its launch settings), is switching to, or has queued. */
export function modelActivity(state: EngineState): Map<string, ModelActivity> {
  const out = new Map<string, ModelActivity>();
  for (const slot of state.slots) {
    for (const queued of slot.queue) out.set(queued.modelId, 'queued');
    if (slot.pending) out.set(slot.pending.modelId, 'loading');
    if (slot.modelId === null) continue;
    if (slot.status === 'ready' || slot.status === 'stopping' || slot.status === 'releasing' || slot.status === 'sleeping') out.set(slot.modelId, 'loaded');
    if (slot.status === 'starting' || slot.status === 'loading' || slot.status === 'waking') out.set(slot.modelId, 'loading');
  }
  return out;
}
