import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiHandlers } from '../../../shared/switchboard-api.js';
import { WEBSOCKET_KEY_PROTOCOL_PREFIX, WEBSOCKET_SUBPROTOCOL } from '../../../shared/transports/websocket-transport.js';
import type { Engine } from '../engine-api.js';
import type { EngineAccess } from './access/engine-access.js';
import { adminKeyHelp } from './admin-http.js';
import { bearerOf } from './is-authorized.js';
import { rejectUpgrade } from './reject-upgrade.js';
import type { UpgradeHandler } from './start-http-server.js';
import { serveWebSocketConnection } from './websocket-connection.js';

/** Where the engine API's WebSocket is, on the router port. */
export const WEBSOCKET_PATH = '/api/ws';

export interface WebSocketRouteOptions {
  /**
   * Host and origin checks as for the admin API (a browser page of another site, or a foreign Host
   * name, is refused), and the admin key: `Authorization: Bearer <key>` or the key subprotocol.
   * Clients without an Origin header (not a browser) pass the origin check; they still need the key.
   */
  access: Pick<EngineAccess, 'check' | 'isAdminKey'>;
  /** Where the admin token is, for the 401 message. */
  adminTokenPath?: string;
  /** A client that misses a ping for this long is cut off. Default 30 s. */
  pingIntervalMs?: number;
  /** Bytes waiting in a client's socket above which its events are coalesced or dropped. Default 1 MiB. */
  highWaterBytes?: number;
  /** Largest frame a client may send (a longer one gets an `error` reply). Default 1 MiB. */
  maxFrameBytes?: number;
}

const MiB = 1024 * 1024;
/** A client that stops answering the close handshake is cut off after this. */
const CLOSE_GRACE_MS = 1000;

/**
 * `/api/ws` — the engine contract (shared/switchboard-api.ts) over a WebSocket, taken from the HTTP
 * server's 'upgrade' event. A browser page of another site or under a foreign Host name is refused
 * (403: cross-site WebSocket hijacking, DNS rebinding), a wrong or missing admin key gets 401.
 */
export function createWebSocketRoute(engine: Engine, handlers: ApiHandlers, opts: WebSocketRouteOptions): UpgradeHandler {
  const maxFrameBytes = opts.maxFrameBytes ?? MiB;
  const connectionOptions = { highWaterBytes: opts.highWaterBytes ?? MiB, maxFrameBytes, maxCallsInFlight: 256 };
  const wss = new WebSocketServer({
    noServer: true,
    // Above maxFrameBytes a frame still gets a readable reply; far above, ws closes with 1009.
    maxPayload: maxFrameBytes * 8,
    handleProtocols: (offered) => (offered.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false),
  });
  const alive = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, opts.pingIntervalMs ?? 30_000);
  pinger.unref();
  let closing = false;

  return {
    handleUpgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://switchboard.invalid').pathname !== WEBSOCKET_PATH) return false;
      if (closing) {
        rejectUpgrade(socket, 503, { code: 'unavailable', message: 'the engine is shutting down' });
        return true;
      }
      if (!refuseHandshake(req, socket, opts)) {
        wss.handleUpgrade(req, socket, head, (ws) => {
          alive.add(ws);
          ws.on('pong', () => alive.add(ws));
          serveWebSocketConnection(ws, engine, handlers, connectionOptions);
        });
      }
      return true;
    },
    closeAll() {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      for (const ws of wss.clients) {
        ws.close(1001, 'the engine is shutting down');
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      }
      wss.close();
    },
  };
}

/** Answers and returns true when the handshake must not proceed: foreign Host or origin, bad key, other protocol. */
function refuseHandshake(req: IncomingMessage, socket: Duplex, opts: WebSocketRouteOptions): boolean {
  const refusal = opts.access.check(req, 'admin');
  if (refusal) {
    rejectUpgrade(socket, refusal.status, { code: refusal.code, message: refusal.message });
    return true;
  }
  const protocols = offeredProtocols(req);
  if (!opts.access.isAdminKey(bearerOf(req)) && !opts.access.isAdminKey(keyFromProtocols(protocols))) {
    const message = `${adminKeyHelp(opts.adminTokenPath)}; a browser sends it as the subprotocol ${WEBSOCKET_KEY_PROTOCOL_PREFIX}<base64url key>`;
    rejectUpgrade(socket, 401, { code: 'unauthorized', message }, { 'www-authenticate': 'Bearer' });
    return true;
  }
  if (protocols.length > 0 && !protocols.includes(WEBSOCKET_SUBPROTOCOL)) {
    rejectUpgrade(socket, 400, { code: 'bad_request', message: `unsupported subprotocol; offer ${WEBSOCKET_SUBPROTOCOL}` });
    return true;
  }
  return false;
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header === undefined
    ? []
    : header
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
}

function keyFromProtocols(protocols: string[]): string | undefined {
  const encoded = protocols.find((p) => p.startsWith(WEBSOCKET_KEY_PROTOCOL_PREFIX))?.slice(WEBSOCKET_KEY_PROTOCOL_PREFIX.length);
  return encoded ? Buffer.from(encoded, 'base64url').toString('utf8') : undefined;
}
