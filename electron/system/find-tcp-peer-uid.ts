import { normalizeSocketAddress, readTcpSockets, TCP_STATE, type TcpSocketEntry } from './read-tcp-sockets.js';

/** Both ends of an accepted TCP connection as the server sees them (Node's socket fields). */
export interface TcpConnectionEnds {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * The uid of the process on the other end of a loopback TCP connection: the kernel lists the
 * client's socket in /proc/net/tcp{,6} (same host, same network namespace) with the uid that
 * created it. Null for a connection from another host, or when the client already closed.
 */
export async function findTcpPeerUid(ends: TcpConnectionEnds): Promise<number | null> {
  if (!ends.remoteAddress || !isLoopbackAddress(ends.remoteAddress)) return null;
  return matchPeerUid(await readTcpSockets(), ends);
}

/** In a socket list, the uid of the connection's client end (its local end is our remote end). */
export function matchPeerUid(entries: readonly TcpSocketEntry[], ends: TcpConnectionEnds): number | null {
  const { localAddress, localPort, remoteAddress, remotePort } = ends;
  if (!localAddress || !remoteAddress || localPort === undefined || remotePort === undefined) return null;
  const ours = normalizeSocketAddress(localAddress);
  const theirs = normalizeSocketAddress(remoteAddress);
  const client = entries.find((e) => e.state === TCP_STATE.established && e.localPort === remotePort && e.remotePort === localPort && e.localAddress === theirs && e.remoteAddress === ours);
  return client ? client.uid : null;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const plain = normalizeSocketAddress(address);
  return plain === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}
