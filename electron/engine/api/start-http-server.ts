import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineError } from '../engine-error.js';
import { findPortOwner } from '../host/find-port-owner.js';
import type { RequestHandler } from './admin-http.js';
import { sendError } from './send-json.js';

export interface StartHttpServerOptions {
  host: string;
  /** 0 picks a free port (see the returned url). */
  port: number;
  /** Returns false for requests it does not serve; those get a JSON 404. */
  handler: RequestHandler;
}

export interface RunningHttpServer {
  server: Server;
  /** e.g. http://127.0.0.1:8002, with the real port when 0 was asked. */
  url: string;
  /** Stops listening and ends open connections (SSE streams included). */
  close(): Promise<void>;
}

/**
 * Listens on host:port. A busy port rejects with EngineError('conflict') naming the process that
 * holds it when /proc shows it, e.g. "port 8002 on 127.0.0.1 is already in use by pid 1234 (node …)".
 */
export async function startHttpServer({ host, port, handler }: StartHttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((req, res) => serve(handler, req, res));
  await listen(server, host, port);
  const { port: actualPort } = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`, close: () => closeServer(server) };
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
