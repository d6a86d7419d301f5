import type { Catalog } from '../../../shared/catalog-schema.js';
import type { EngineNotice } from '../../../shared/engine-state.js';
import type { CatalogWatcher } from '../catalog/catalog-watcher.js';
import { formatCatalogIssues } from '../catalog/load-catalog.js';
import { loadCatalogOnHost } from '../catalog/load-catalog-on-host.js';
import { createEngine } from '../engine.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { isLoopbackHost } from './access/access-policy.js';
import { createEngineApi, type EngineApi, type EngineApiOptions } from './create-engine-api.js';
import { refuseUnprotectedBind, startEngineServer, type EngineServer } from './start-engine-server.js';

export interface HostEngineOptions {
  configPath: string;
  /** Load history, server records, admin token; null keeps them in memory (tests). */
  stateDir: string | null;
  /** Override the catalog's router.host / router.port. */
  host?: string;
  port?: number;
  /** Warnings and catalog issues (default console.error). */
  log?: (line: string) => void;
  /** What the API handlers get beyond the engine (e.g. how to ask the supervisor for a restart). */
  api?: EngineApiOptions;
  /**
   * A catalog file that does not exist starts the engine in setup mode (empty catalog, the UI's
   * first-run screen) instead of failing; the first catalog written ends it.
   */
  firstRun?: boolean;
  /** Apply edits of the catalog file as they are saved (default true); without, only `catalogWatcher.reloadNow()` reloads it. */
  watchCatalog?: boolean;
}

/** An engine with its router, admin API, /api/ws and /ui/ listening. */
export interface HostedEngine {
  engine: Engine;
  server: EngineServer;
  catalog: Catalog;
  /** The catalog file did not exist: the engine runs in setup mode. */
  firstRun: boolean;
  /** Reloads the catalog file when it changes (if `watchCatalog`), and on `reloadNow()` (serve's SIGHUP). */
  catalogWatcher: CatalogWatcher;
  /** Stops the engine (and every SGLang server it started), then the HTTP server. */
  close(): Promise<void>;
}

/** `inCatalog`: the message is the catalog's issues (file:line:col field: message), printed as they are. */
export type HostEngineResult = { ok: true; hosted: HostedEngine } | { ok: false; message: string; inCatalog: boolean };

/**
 * The one assembly of the engine host: catalog (with the host's GPU topology) → engine → API
 * handlers → HTTP server on router.host:router.port. `switchboard serve` runs it, and the desktop
 * app runs `switchboard serve` as its supervised engine process, so there is no second way to
 * put an engine together. Expected failures (a catalog with errors, an unprotected non-loopback
 * bind, a busy port, an unwritable state dir) come back as `{ ok: false, message }`.
 */
export async function hostEngine(options: HostEngineOptions): Promise<HostEngineResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const { loaded, topology, missing } = await loadCatalogOnHost(options.configPath, { allowMissing: options.firstRun === true });
  if (!loaded.ok) return { ok: false, message: formatCatalogIssues(options.configPath, loaded.issues), inCatalog: true };
  if (loaded.issues.length > 0) log(formatCatalogIssues(options.configPath, loaded.issues));
  const host = options.host ?? loaded.catalog.router.host;
  const port = options.port ?? loaded.catalog.router.port;
  // Setup mode's catalog is not a file yet: it says where this engine really listens, so what is
  // written from it (the simulated host's catalog) keeps the router there.
  const catalog = missing ? { ...loaded.catalog, router: { ...loaded.catalog.router, host, port } } : loaded.catalog;
  try {
    refuseUnprotectedBind(host, catalog);
  } catch (err) {
    return { ok: false, message: (err as Error).message, inCatalog: false };
  }
  if (!isLoopbackHost(host) && catalog.router.apiKeys.length === 0) {
    log(`warning: serving on ${host} without router.apiKeys — anyone who can reach this host can use the models (and make the router switch between them)`);
  }
  const engine = await createEngine({
    catalog,
    configPath: options.configPath,
    stateDir: options.stateDir,
    firstRun: missing === true,
    ...(topology ? { gpuTopology: topology } : {}),
  });
  let server: EngineServer;
  let api: EngineApi;
  // A reload's outcome goes to the engine log and, when a file edit was refused, the UI's notices.
  const catalogReload = {
    log: (line: string) => {
      engine.note(line);
      log(`switchboard: ${line}`);
    },
    notice: (id: string, notice: { level: EngineNotice['level']; message: string } | null) => engine.setNotice(id, notice),
  };
  try {
    api = createEngineApi(engine, options.configPath, { stateDir: options.stateDir, catalogReload, bindHost: host, ...options.api });
    server = await startEngineServer(engine, { host, port, stateDir: options.stateDir, handlers: api.handlers, log });
  } catch (err) {
    await engine.close();
    if (err instanceof EngineError || isFileSystemError(err)) return { ok: false, message: (err as Error).message, inCatalog: false };
    throw err;
  }
  if (options.watchCatalog !== false) await api.catalogWatcher.start();
  return {
    ok: true,
    hosted: {
      engine,
      server,
      catalog,
      firstRun: missing === true,
      catalogWatcher: api.catalogWatcher,
      close: async () => {
        // No reload may reach an engine that is stopping.
        await api.catalogWatcher.close();
        await engine.close();
        await server.close();
      },
    },
  };
}

/** EACCES, EROFS, EADDRINUSE … while creating the state dir, the admin token or the listener: worth a line, not a stack. */
function isFileSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
