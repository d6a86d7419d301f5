import type { EngineAccess } from './api/access/engine-access.js';
import { createAdminRoutes, type RequestHandler } from './api/admin-http.js';
import { createUiStaticRoute, type UiStaticRouteOptions } from './api/ui-static-route.js';
import type { Engine } from './engine-api.js';
import { createMetricsRoute } from './metrics/metrics-route.js';
import { SwitchboardMetrics } from './metrics/switchboard-metrics.js';
import { toRecord } from './requests/request-log.js';
import type { RouterRequestOutcome } from './router/request-observer.js';
import { createRouterRoutes } from './router/router-routes.js';

export interface EngineHttpHandlerOptions {
  /** Who may use which part of the port (engine-access.ts). */
  access: EngineAccess;
  /** Where the admin token is, for the admin API's 401 message. */
  adminTokenPath?: string;
  ui?: UiStaticRouteOptions;
}

/**
 * Everything the engine serves on the router port over plain HTTP: the OpenAI-compatible router,
 * the admin API, Prometheus metrics at /metrics and the browser UI at /ui/, each checking its own
 * access first. The WebSocket at /api/ws is an upgrade handler (websocket-route.ts) given to
 * startHttpServer beside this one.
 */
export function createEngineHttpHandler(engine: Engine, options: EngineHttpHandlerOptions): RequestHandler {
  const { access, adminTokenPath } = options;
  // The router's observer feeds the request counters of GET /metrics (metrics/switchboard-metrics.ts)
  // and the request log (requests/request-log.ts, `requests.list`, GET /api/requests).
  const metrics = new SwitchboardMetrics(engine);
  const observer = (outcome: RouterRequestOutcome): void => {
    metrics.observeRequest(outcome);
    engine.recordRequest(toRecord(outcome));
  };
  const handlers = [
    createRouterRoutes(engine, { access, observer }),
    createAdminRoutes(engine, { access, adminTokenPath }),
    createMetricsRoute(engine, metrics, { access, adminTokenPath }),
    createUiStaticRoute(access, options.ui),
  ];
  return (req, res) => handlers.some((handle) => handle(req, res));
}
