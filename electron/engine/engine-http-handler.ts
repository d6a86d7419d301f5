import { createAdminRoutes, type RequestHandler } from './api/admin-http.js';
import type { Engine } from './engine-api.js';
import { createRouterRoutes } from './router/router-routes.js';

/** Everything the engine serves on the router port: the OpenAI-compatible router and the admin API. */
export function createEngineHttpHandler(engine: Engine): RequestHandler {
  const { apiKeys } = engine.catalog().router;
  const handlers = [createRouterRoutes(engine, { apiKeys }), createAdminRoutes(engine, { apiKeys })];
  return (req, res) => handlers.some((handle) => handle(req, res));
}
