// The FastAPI app behind uvicorn: routing (404/405 like Starlette), API-key middleware, CORS
// preflight, access lines logged when a response starts, and binding like uvicorn does.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sendJson, sendText } from './http-io.js';
import { deprecatedAlias, handleHealth, handleListModels, handleMetrics, handlePing, handleRetrieveModel, RENAMED_INFO_ROUTES } from './info-routes.js';
import { handleAbortRequest, handleContinueGeneration, handleFlushCache, handleGenerate, handleGetLoad, handlePauseGeneration } from './native-routes.js';
import { handleReleaseMemoryOccupation, handleResumeMemoryOccupation } from './memory-occupation.js';
import { handleChatCompletions, handleCompletions } from './openai-routes.js';
import { handleTokenize } from './tokenize-route.js';
import type { SimApp } from './sim-context.js';

type Handler = (app: SimApp, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

interface Route {
  path: string | RegExp;
  methods: Partial<Record<string, Handler>>;
}

/** 0.5.3.post1: only the `/get_*` names; 0.5.6: the new names plus the `/get_*` deprecated aliases (see info-routes.ts). */
function infoRoutes(app: SimApp): Route[] {
  if (app.env.infoRoutes === '0.5.3.post1') return RENAMED_INFO_ROUTES.map(({ legacy, handler }) => ({ path: legacy, methods: { GET: handler } }));
  return RENAMED_INFO_ROUTES.flatMap(({ legacy, current, handler }) => [
    { path: current, methods: { GET: handler } },
    { path: legacy, methods: { GET: deprecatedAlias(legacy, current, handler) } },
  ]);
}

function buildRoutes(app: SimApp): Route[] {
  const routes: Route[] = [
    { path: '/health', methods: { GET: handleHealth } },
    { path: '/health_generate', methods: { GET: handleHealth } },
    { path: '/ping', methods: { GET: handlePing } },
    ...infoRoutes(app),
    { path: '/get_load', methods: { GET: handleGetLoad } },
    { path: '/v1/models', methods: { GET: handleListModels } },
    { path: /^\/v1\/models\/.+/, methods: { GET: handleRetrieveModel } },
    { path: '/v1/chat/completions', methods: { POST: handleChatCompletions } },
    { path: '/v1/completions', methods: { POST: handleCompletions } },
    { path: '/v1/tokenize', methods: { POST: handleTokenize } },
    { path: '/tokenize', methods: { POST: handleTokenize } },
    { path: '/generate', methods: { POST: handleWarmupAwareGenerate, PUT: handleWarmupAwareGenerate } },
    { path: '/flush_cache', methods: { GET: handleFlushCache, POST: handleFlushCache } },
    { path: '/abort_request', methods: { POST: handleAbortRequest } },
    { path: '/pause_generation', methods: { POST: handlePauseGeneration } },
    { path: '/continue_generation', methods: { POST: handleContinueGeneration } },
    { path: '/release_memory_occupation', methods: { GET: handleReleaseMemoryOccupation, POST: handleReleaseMemoryOccupation } },
    { path: '/resume_memory_occupation', methods: { GET: handleResumeMemoryOccupation, POST: handleResumeMemoryOccupation } },
  ];
  // Mounted sub-app with SGLang's path_regex workaround: every method, any /metrics* path.
  if (app.args.bool('enable_metrics')) routes.push({ path: /^\/metrics/, methods: { GET: handleMetrics, POST: handleMetrics, HEAD: handleMetrics } });
  return routes;
}

/** SGLANG_SIM_FAIL=warmup-fail: the first /generate fails with an unhandled exception (500). */
async function handleWarmupAwareGenerate(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (app.env.fails.has('warmup-fail') && app.status === 'Starting') {
    app.log.uvicorn(
      'ERROR',
      'Exception in ASGI application\nTraceback (most recent call last):\n  File "/sgl-workspace/sglang/python/sglang/srt/entrypoints/http_server.py", line 545, in generate_request\n    ret = await _global_state.tokenizer_manager.generate_request(obj, request).__anext__()\n          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nRuntimeError: Simulated warmup failure (SGLANG_SIM_FAIL=warmup-fail)',
    );
    return sendText(res, 500, 'Internal Server Error');
  }
  return handleGenerate(app, req, res);
}

function clientAddress(req: IncomingMessage): string {
  const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return `${address}:${req.socket.remotePort ?? 0}`;
}

/** Wraps writeHead so that the access line is printed when the response starts. */
function logAccessOnHead(app: SimApp, req: IncomingMessage, res: ServerResponse): void {
  const client = clientAddress(req);
  const requestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
  const original = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  let logged = false;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    if (!logged) {
      logged = true;
      app.log.access(client, requestLine, `${status} ${STATUS_CODES[status] ?? ''}`);
    }
    return original(status, ...rest);
  }) as typeof res.writeHead;
}

function isAuthorized(app: SimApp, req: IncomingMessage, path: string): boolean {
  const key = app.args.str('api_key');
  if (key === null || req.method === 'OPTIONS' || path.startsWith('/health') || path.startsWith('/metrics')) return true;
  return req.headers.authorization === `Bearer ${key}`;
}

function handleCorsPreflight(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (req.method !== 'OPTIONS' || origin === undefined || req.headers['access-control-request-method'] === undefined) return false;
  res.writeHead(200, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
    'access-control-allow-credentials': 'true',
    'access-control-max-age': '600',
    vary: 'Origin',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': 2,
  });
  res.end('OK');
  return true;
}

export function createApiServer(app: SimApp): Server {
  const routes = buildRoutes(app);
  const server = createServer((req, res) => {
    res.setHeader('server', 'uvicorn');
    if (req.headers.origin !== undefined) res.setHeader('access-control-allow-origin', '*');
    logAccessOnHead(app, req, res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (handleCorsPreflight(req, res)) return;
    if (!isAuthorized(app, req, url.pathname)) return sendJson(res, 401, { error: 'Unauthorized' });
    const route = routes.find((candidate) => (typeof candidate.path === 'string' ? candidate.path === url.pathname : candidate.path.test(url.pathname)));
    if (!route) return sendJson(res, 404, { detail: 'Not Found' });
    const handler = route.methods[req.method ?? 'GET'];
    if (!handler) {
      res.setHeader('allow', Object.keys(route.methods).join(', '));
      return sendJson(res, 405, { detail: 'Method Not Allowed' });
    }
    handler(app, req, res, url).catch((error: unknown) => {
      app.log.uvicorn('ERROR', `Exception in ASGI application\n${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 0;
  server.maxConnections = Infinity;
  return server;
}

const ERRNO: Record<string, [number, string]> = {
  EADDRINUSE: [98, 'address already in use'],
  EADDRNOTAVAIL: [99, 'cannot assign requested address'],
  EACCES: [13, 'permission denied'],
};

/** Binds like uvicorn; on failure returns the text uvicorn logs (`[Errno 98] error while ...`). */
export function bindServer(server: Server, host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const [errno, text] = ERRNO[error.code ?? ''] ?? [-2, 'Name or service not known'];
      const address = host.includes(':') ? `('${host}', ${port}, 0, 0)` : `('${host}', ${port})`;
      resolve(`[Errno ${errno}] error while attempting to bind on address ${address}: ${text}`);
    };
    server.once('error', onError);
    server.listen({ host, port, backlog: 2048 }, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}
