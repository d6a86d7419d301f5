import { EngineError } from '../../../shared/engine-error.js';
import type { EngineAccess } from '../api/access/engine-access.js';
import { adminKeyHelp, type RequestHandler } from '../api/admin-http.js';
import { bearerOf, matchesAnyKey } from '../api/is-authorized.js';
import { sendError, sendJson } from '../api/send-json.js';
import type { Engine } from '../engine-api.js';
import type { SwitchboardMetrics } from './switchboard-metrics.js';

export interface MetricsRouteOptions {
  access: EngineAccess;
  adminTokenPath?: string;
}

/**
 * `GET /metrics` (Prometheus text format). The admin API's checks apply: Host and Origin (403), then
 * an admin key or a scrape key from `metrics.keys` (401), unless the catalog says `metrics.public: true`
 * (both read per request). A scrape key opens nothing else. Leaves every other path to the next handler.
 */
export function createMetricsRoute(engine: Engine, metrics: SwitchboardMetrics, opts: MetricsRouteOptions): RequestHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path !== '/metrics') return false;
    const refusal = opts.access.check(req, 'admin');
    if (refusal) {
      sendError(res, new EngineError(refusal.code, refusal.message));
      return true;
    }
    const settings = engine.catalog().metrics;
    if (!settings.public && !opts.access.isAdmin(req) && !matchesAnyKey(bearerOf(req), settings.keys)) {
      sendError(
        res,
        new EngineError('unauthorized', `${adminKeyHelp(opts.adminTokenPath)}, or one of the catalog's metrics.keys (they read /metrics only); metrics.public: true opens /metrics without a key`),
        {
          'www-authenticate': 'Bearer',
        },
      );
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'bad_request', message: `${req.method} is not allowed on /metrics; use GET` } }, { allow: 'GET, HEAD' });
      return true;
    }
    metrics
      .render()
      .then((text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      })
      .catch((err: unknown) => sendError(res, err));
    return true;
  };
}
