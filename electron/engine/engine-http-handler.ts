import { createAdminRoutes, type RequestHandler } from './api/admin-http.js';
import { createUiStaticRoute, type UiStaticRouteOptions } from './api/ui-static-route.js';
import type { Engine } from './engine-api.js';
import { createRouterRoutes } from './router/router-routes.js';

/**
 * Everything the engine serves on the router port over plain HTTP: the OpenAI-compatible router,
 * the admin API and the browser UI at /ui/. The WebSocket at /api/ws is an upgrade handler
 * (websocket-route.ts) given to startHttpServer beside this one.
 */
export function createEngineHttpHandler(engine: Engine, options: { ui?: UiStaticRouteOptions } = {}): RequestHandler {
  const { apiKeys } = engine.catalog().router;
  const handlers = [createRouterRoutes(engine, { apiKeys }), createAdminRoutes(engine, { apiKeys }), createUiStaticRoute(options.ui)];
  return (req, res) => handlers.some((handle) => handle(req, res));
}
