import { chmod, chown, link, lstat, stat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { errorResponse } from '../../shared/helper-protocol.js';
import { admitConnection, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './admit-connection.js';
import type { AuditLog } from './audit-log.js';
import { ConnectionRefusalLog } from './connection-refusal-log.js';
import { HelperConnection, type ConnectionContext } from './helper-connection.js';
import type { HelperDispatch } from './operations.js';
import { loadPeerCredentials, type ReadPeerIds } from './peer-credentials.js';
import { probeHelperSocket } from './probe-helper-socket.js';

/**
 * Connections the kernel queues for accept: a burst of 1,000 fits (Node's default is 511; the kernel caps
 * it at net.core.somaxconn, 4096 by default). Past it connect() fails with EAGAIN, which the engine's
 * client retries: a churning client can keep any queue full for moments, no server-side limit prevents that.
 */
const LISTEN_BACKLOG = 1024;

/** A legitimate client writes its request right after connecting; 10 s is generous for that and short for a slowloris. */
export const DEFAULT_LINE_TIMEOUT_MS = 10_000;

export interface HelperServerOptions {
  socketPath: string;
  /** The group allowed to connect; null leaves the socket in the helper's own group (non-root tests). */
  gid: number | null;
  dispatch: HelperDispatch;
  audit: AuditLog;
  /** Reads SO_PEERCRED of an accepted socket; by default through koffi (`loadPeerCredentials`). */
  readPeer?: ReadPeerIds;
  limits?: ConnectionLimits;
  /** How long a connection may take to send a complete request line (default DEFAULT_LINE_TIMEOUT_MS). */
  lineTimeoutMs?: number;
  /** How often refused connections are summarised in the audit log (default 60 s). */
  refusalIntervalMs?: number;
  log?: (line: string) => void;
}

export interface HelperServer {
  readonly socketPath: string;
  /** Stops accepting, drops open connections, writes the last refusal summaries and removes the socket file (if it is still ours). */
  close(): Promise<void>;
}

/** The helper cannot start: another one holds the socket, or the path is unusable. */
export class HelperStartError extends Error {
  override readonly name = 'HelperStartError';
}

/**
 * Binds the socket (mode 0660, group `gid`) after making sure no other helper holds it, and serves.
 * Each accepted connection is judged at once on its SO_PEERCRED (`admitConnection`): refused ones
 * get one `busy` line and are closed, with no other work (no /proc read, no audit line of their
 * own: `ConnectionRefusalLog` counts them).
 */
export async function startHelperServer(opts: HelperServerOptions): Promise<HelperServer> {
  await claimSocketPath(opts.socketPath);
  const log = opts.log ?? ((line: string) => console.error(line));
  const readPeer = opts.readPeer ?? (await loadPeerCredentials({ log }));
  const limits = opts.limits ?? DEFAULT_CONNECTION_LIMITS;
  const refusals = new ConnectionRefusalLog({ audit: opts.audit, log, intervalMs: opts.refusalIntervalMs });
  const sockets = new Set<Socket>();
  const open = new Set<HelperConnection>();
  let seq = 0;
  const context: ConnectionContext = {
    dispatch: opts.dispatch,
    audit: opts.audit,
    log,
    lineTimeoutMs: opts.lineTimeoutMs ?? DEFAULT_LINE_TIMEOUT_MS,
    onLineTimeout: (peer, message) => refusals.record(peer, 'line_timeout', message),
  };
  // Half-open: a client that shuts down its sending side (`nc -U`, `socat`) still gets its answers.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const peer = readPeer(socket);
    const verdict = admitConnection([...open], peer, limits);
    if (!verdict.admit) {
      refuse(socket, verdict.message);
      refusals.record(peer, verdict.reason, verdict.message);
      return;
    }
    if (verdict.evict) {
      const message = `closed to make room for another client: the helper is at its maximum of ${limits.total} connections and this user holds the most`;
      open.delete(verdict.evict);
      verdict.evict.evict(message);
      refusals.record(verdict.evict.peer, 'evicted', message);
    }
    const connection: HelperConnection = new HelperConnection(socket, peer, seq++, context, () => open.delete(connection));
    open.add(connection);
  });
  const ino = await bindSocket(server, opts.socketPath, opts.gid);
  return {
    socketPath: opts.socketPath,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await refusals.close();
      const current = await stat(opts.socketPath).catch(() => null);
      if (current?.ino === ino) await unlink(opts.socketPath).catch(() => undefined);
    },
  };
}

/** One `busy` line, then the descriptor is closed once it is out, whether or not the client reads. */
function refuse(socket: Socket, message: string): void {
  socket.on('error', () => undefined);
  socket.end(`${JSON.stringify(errorResponse(null, 'busy', message))}\n`, () => socket.destroy());
}

/** Refuses when a live helper answers on the path; removes a stale socket left by a dead one. */
async function claimSocketPath(socketPath: string): Promise<void> {
  const existing = await lstat(socketPath).catch(() => null);
  if (!existing) return;
  if (!existing.isSocket()) throw new HelperStartError(`${socketPath} exists and is not a socket; refusing to replace it`);
  const probe = await probeHelperSocket(socketPath);
  if (probe.kind === 'helper') throw new HelperStartError(`another helper is running (pid ${probe.pid ?? 'unknown'}) on ${socketPath}`);
  if (probe.kind === 'other') throw new HelperStartError(`another process is listening on ${socketPath} (${probe.detail})`);
  await unlink(socketPath);
}

/**
 * Binds on a private name, sets mode and group there, then hard-links it into place: the socket
 * never appears at its public path with the wrong permissions, and link(2) fails if another
 * helper won a race for the path. Resolves to the socket file's inode.
 */
async function bindSocket(server: Server, socketPath: string, gid: number | null): Promise<number> {
  const privatePath = `${socketPath}.${process.pid}.new`;
  await unlink(privatePath).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: privatePath, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    await chmod(privatePath, 0o660);
    if (gid !== null) await chown(privatePath, process.getuid?.() ?? 0, gid);
    await link(privatePath, socketPath);
  } catch (err) {
    server.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EEXIST' ? new HelperStartError(`another helper took ${socketPath} while this one was starting`) : err;
  } finally {
    await unlink(privatePath).catch(() => undefined);
  }
  return (await stat(socketPath)).ino;
}
