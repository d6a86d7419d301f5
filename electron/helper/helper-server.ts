import { chmod, chown, link, lstat, stat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AuditLog } from './audit-log.js';
import { HelperConnection } from './helper-connection.js';
import type { HelperDispatch } from './operations.js';
import { lookupPeerCredentials, type PeerCredentials } from './peer-credentials.js';
import { probeHelperSocket } from './probe-helper-socket.js';

export interface HelperServerOptions {
  socketPath: string;
  /** The group allowed to connect; null leaves the socket in the helper's own group (non-root tests). */
  gid: number | null;
  dispatch: HelperDispatch;
  audit: AuditLog;
  lookupPeer?: (socket: Socket) => Promise<PeerCredentials | null>;
  log?: (line: string) => void;
}

export interface HelperServer {
  readonly socketPath: string;
  /** Stops accepting, drops open connections and removes the socket file (if it is still ours). */
  close(): Promise<void>;
}

/** The helper cannot start: another one holds the socket, or the path is unusable. */
export class HelperStartError extends Error {
  override readonly name = 'HelperStartError';
}

/** Binds the socket (mode 0660, group `gid`) after making sure no other helper holds it, and serves. */
export async function startHelperServer(opts: HelperServerOptions): Promise<HelperServer> {
  await claimSocketPath(opts.socketPath);
  const sockets = new Set<Socket>();
  const context = { dispatch: opts.dispatch, audit: opts.audit, lookupPeer: opts.lookupPeer ?? lookupPeerCredentials, log: opts.log ?? ((line: string) => console.error(line)) };
  // Half-open: a client that shuts down its sending side (`nc -U`, `socat`) still gets its answers.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new HelperConnection(socket, context);
  });
  server.maxConnections = 128;
  const ino = await bindSocket(server, opts.socketPath, opts.gid);
  return {
    socketPath: opts.socketPath,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      const current = await stat(opts.socketPath).catch(() => null);
      if (current?.ino === ino) await unlink(opts.socketPath).catch(() => undefined);
    },
  };
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
    server.listen(privatePath, () => {
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
