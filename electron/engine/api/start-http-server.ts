import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EngineError } from '../../../shared/engine-error.js';
import { findPortOwner } from '../../system/find-port-owner.js';
import type { RequestHandler } from './admin-http.js';
import { rejectUpgrade } from './reject-upgrade.js';
import { sendError } from './send-json.js';

export interface StartHttpServerOptions {
  host: string;
  /** 0 picks a free port (see the returned url). */
  port: number;
  /** Returns false for requests it does not serve; those get a JSON 404. */
  handler: RequestHandler;
  /** Takes HTTP upgrade requests (the WebSocket at /api/ws). Without it, no upgrade listener is installed. */
  upgrade?: UpgradeHandler;
}

/** Serves HTTP upgrades on the same port as the request handler. */
export interface UpgradeHandler {
  /** Returns false for requests it does not serve; those get a JSON 404 and the socket is closed. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Ends its open connections; called once when the server closes. */
  closeAll(): void;
}

export interface RunningHttpServer {
  server: Server;
  /** e.g. http://127.0.0.1:8002, with the real port when 0 was asked. */
  url: string;
  /** Stops listening and ends open connections (SSE streams and WebSockets included). */
  close(): Promise<void>;
}

/**
 * Listens on host:port. A busy port rejects with EngineError('conflict') naming the process that
 * holds it when /proc shows it, e.g. "port 8002 on 127.0.0.1 is already in use by pid 1234 (node …)".
 */
export async function startHttpServer({ host, port, handler, upgrade }: StartHttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => serve(handler, req, res));
  // Only with a handler: an 'upgrade' listener takes every request with an Upgrade header (h2c too).
  if (upgrade) server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => serveUpgrade(upgrade, req, socket, head));
  await listen(server, host, port);
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    close: () => {
      upgrade?.closeAll();
      return closeServer(server);
    },
  };
}

function serveUpgrade(upgrade: UpgradeHandler, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  try {
    if (!upgrade.handleUpgrade(req, socket, head)) rejectUpgrade(socket, 404, { code: 'not_found', message: `no upgrade route ${req.method} ${req.url}` });
  } catch (err) {
    rejectUpgrade(socket, 500, { code: 'internal', message: err instanceof Error ? err.message : String(err) });
  }
}

function serve(handler: RequestHandler, req: IncomingMessage, res: ServerResponse): void {
  try {
    if (!handler(req, res)) sendError(res, new EngineError('not_found', `no route ${req.method} ${req.url}`));
  } catch (err) {
    sendError(res, err);
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') portInUseError(host, port).then(reject, reject);
      else reject(err);
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function portInUseError(host: string, port: number): Promise<EngineError> {
  const owner = await findPortOwner(port, host).catch(() => null);
  const holder = owner ? `pid ${owner.pid} (${owner.command})` : 'another process (not visible to this user)';
  return new EngineError('conflict', `port ${port} on ${host} is already in use by ${holder}`, {
    host,
    port,
    ...(owner ? { pid: owner.pid, command: owner.command } : {}),
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
