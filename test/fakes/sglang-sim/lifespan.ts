// uvicorn's part of `launch_server`: lifespan startup (handlers, warmup thread, SIGTERM
// handler), binding the port only now, and what happens when the bind fails.
import { pyDictRepr } from './python-repr.js';
import { installGracefulShutdown } from './shutdown.js';
import type { SimApp } from './sim-context.js';
import { sleepSim } from './sim-env.js';
import { PHASE_S } from './startup.js';
import { bindServer, createApiServer } from './uvicorn-server.js';
import { runWarmup, serverUrl } from './warmup.js';

const FLOAT_SAMPLING_KEYS = new Set(['repetition_penalty', 'temperature', 'top_p', 'min_p']);

/** Runs uvicorn until the server is ready (or ends the process on the failure paths). */
export async function serveHttp(app: SimApp): Promise<void> {
  const host = app.args.str('host') ?? '127.0.0.1';
  const port = app.args.num('port') ?? 30000;
  await sleepSim(app.env, PHASE_S.uvicornStart);
  app.log.uvicorn('INFO', `Started server process [${process.pid}]`);
  app.log.uvicorn('INFO', 'Waiting for application startup.');
  if (app.model.samplingDefaults.length > 0) {
    // Printed by the chat handler and again by the Responses handler, which subclasses it.
    const dict = pyDictRepr(app.model.samplingDefaults, FLOAT_SAMPLING_KEYS);
    for (let index = 0; index < 2; index += 1) app.log.main(`Using default chat sampling params from model generation config: ${dict}`);
  }
  installGracefulShutdown(app);
  // With --skip-server-warmup the thread marks the server Up at once, before uvicorn binds
  // (reference §1); run that branch synchronously so the order is deterministic.
  const warmup = app.args.bool('skip_server_warmup') ? runWarmup(app) : new Promise<void>((resolve) => setImmediate(resolve)).then(() => runWarmup(app));
  app.log.uvicorn('INFO', 'Application startup complete.');
  const server = createApiServer(app);
  const bindError = await bindServer(server, host, port);
  if (bindError !== undefined) {
    app.log.uvicorn('ERROR', bindError);
    app.log.uvicorn('INFO', 'Waiting for application shutdown.');
    app.log.uvicorn('INFO', 'Application shutdown complete.');
    // uvicorn raised SystemExit(1); launch_server still joins the warmup thread first.
    await warmup;
    app.tree.killChildren();
    process.exit(1);
  }
  app.log.uvicorn('INFO', `Uvicorn running on ${serverUrl(host, port)} (Press CTRL+C to quit)`);
  await warmup;
  if (app.crashMidStream) app.scheduler.armCrash();
}
