import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineAccess } from './access/engine-access.js';
import type { RequestHandler } from './admin-http.js';
import { sendJson } from './send-json.js';

export interface UiStaticRouteOptions {
  /** The built renderer; by default `out/renderer` of the package this module belongs to. */
  rootDir?: string;
}

/** Where the UI is served on the router port. */
export const UI_PATH = '/ui/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** Vite names built assets `name-<8+ char hash>.ext`: their content never changes under that name. */
const HASHED_ASSET = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * `/ui/` — the built renderer as static files, so a browser can use the engine without the desktop
 * app. GET and HEAD only, under the engine's own Host names; no key needed (the files hold no
 * secrets; the WebSocket they open needs an admin key). Answers 503 while the UI is not built.
 */
export function createUiStaticRoute(access: Pick<EngineAccess, 'check'>, opts: UiStaticRouteOptions = {}): RequestHandler {
  const rootDir = resolve(opts.rootDir ?? defaultUiDir());
  return (req, res) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
    if (rawPath !== '/ui' && !rawPath.startsWith(UI_PATH)) return false;
    // The Host check: a DNS-rebinding page must not get the UI (and with it a same-origin foothold).
    const refusal = access.check(req, 'ui');
    if (refusal) {
      sendJson(res, refusal.status, { error: { code: refusal.code, message: refusal.message } });
      return true;
    }
    if (rawPath === '/ui') {
      res.writeHead(308, { location: UI_PATH + (queryStart === -1 ? '' : url.slice(queryStart)), 'content-length': 0 });
      res.end();
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'bad_request', message: `${req.method} is not allowed on ${rawPath}; use GET, HEAD` } }, { allow: 'GET, HEAD' });
      return true;
    }
    serveFile(rootDir, rawPath.slice(UI_PATH.length), req, res).catch((err: unknown) => {
      sendJson(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
    });
    return true;
  };
}

async function serveFile(rootDir: string, encodedPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let relative: string;
  try {
    relative = decodeURIComponent(encodedPath) || 'index.html';
  } catch {
    return sendJson(res, 400, { error: { code: 'bad_request', message: `malformed path /ui/${encodedPath}` } });
  }
  const file = resolve(rootDir, relative);
  // Checked after decoding and resolving, so `..`, `%2e%2e` and absolute paths all land here.
  if (relative.includes('\0') || !file.startsWith(rootDir + sep)) {
    return sendJson(res, 400, { error: { code: 'bad_request', message: `path outside the UI: /ui/${encodedPath}` } });
  }
  if (!(await isFile(join(rootDir, 'index.html')))) {
    return sendJson(res, 503, { error: { code: 'unavailable', message: `the UI is not built; run npm run build (looked in ${rootDir})` } });
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return sendJson(res, 404, { error: { code: 'not_found', message: `no file /ui/${encodedPath}` } });

  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': HASHED_ASSET.test(
      file
        .slice(rootDir.length + 1)
        .split(sep)
        .join('/'),
    )
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
    etag,
    'last-modified': info.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/**
 * `out/renderer` of the nearest folder above this module that has a package.json: the same from the
 * sources (electron/engine/api/) and from the bundle electron-vite writes (out/main/…).
 */
function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), 'out', 'renderer');
    dir = parent;
  }
  return join(dir, 'out', 'renderer');
}
