import type { PeerIds } from './peer-credentials.js';

/** How many connections may be open at once. */
export interface ConnectionLimits {
  /** From one process (pid): the engine uses one per request, so this bounds its concurrent requests. */
  perProcess: number;
  /** From one user (uid), over all its processes. */
  perUser: number;
  /** In all. */
  total: number;
}

/**
 * The engine opens one connection per request and rarely has more than a few in flight (a slot's
 * unit operation, status polls of each slot, a power limit per GPU): 32 per process leaves it
 * room on an 8-GPU host, 64 per user lets the app and a CLI of the same user work side by side,
 * and 256 in all (4 users at their cap) keeps the helper far below its descriptor limit.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perProcess: 32, perUser: 64, total: 256 };

/** Why a new connection was refused. */
export type RefusalReason = 'process_limit' | 'user_limit' | 'total_limit';

/** What the decision needs to know of an open connection. */
export interface OpenConnection {
  /** Null when SO_PEERCRED could not be read. */
  readonly peer: PeerIds | null;
  /** Waiting for a request line (nothing queued or running): closing it loses no request. */
  readonly idle: boolean;
  /** Accept order: lower is older. */
  readonly seq: number;
}

/** The verdict on a new connection: refuse it, admit it, or admit it after closing `evict`. */
export type Admission<C> = { admit: true; evict?: C } | { admit: false; reason: RefusalReason; message: string };

/**
 * Decides on a new connection from `peer`, given the open ones. Caps per process, then per user;
 * when the total is reached, the newcomer still gets in by evicting the oldest idle connection of
 * the user holding the most connections — as long as that user holds more than the newcomer's own
 * user does, so a flooding user can push out only itself and never a lighter user. Peers that
 * could not be identified are each their own user for this (they cannot be told apart) and skip
 * the per-process and per-user caps. Pure: no I/O, no clock.
 */
export function admitConnection<C extends OpenConnection>(open: readonly C[], peer: PeerIds | null, limits: ConnectionLimits): Admission<C> {
  if (peer) {
    const ofProcess = open.filter((c) => c.peer?.pid === peer.pid).length;
    if (ofProcess >= limits.perProcess) return refuse('process_limit', `too many connections from this process (pid ${peer.pid} has ${ofProcess}, at most ${limits.perProcess}); closing`);
    const ofUser = open.filter((c) => c.peer?.uid === peer.uid).length;
    if (ofUser >= limits.perUser) return refuse('user_limit', `too many connections from this user (uid ${peer.uid} has ${ofUser}, at most ${limits.perUser}); closing`);
  }
  if (open.length < limits.total) return { admit: true };
  const evict = pickEviction(open, peer);
  return evict ? { admit: true, evict } : refuse('total_limit', `the helper has ${open.length} connections open, its maximum, and none it may close for this one; closing`);
}

function pickEviction<C extends OpenConnection>(open: readonly C[], peer: PeerIds | null): C | undefined {
  const byUser = new Map<number | C, C[]>();
  for (const c of open) {
    const key = c.peer ? c.peer.uid : c; // an unidentified connection is a user of its own
    const list = byUser.get(key);
    if (list) list.push(c);
    else byUser.set(key, [c]);
  }
  const own = peer ? (byUser.get(peer.uid)?.length ?? 0) : 0;
  const candidates = [...byUser.entries()]
    .filter(([key, list]) => (peer === null || key !== peer.uid) && list.length > own)
    .map(([, list]) => ({ count: list.length, oldestIdle: list.filter((c) => c.idle).sort((a, b) => a.seq - b.seq)[0] }))
    .filter((u): u is { count: number; oldestIdle: C } => u.oldestIdle !== undefined)
    .sort((a, b) => b.count - a.count || a.oldestIdle.seq - b.oldestIdle.seq);
  return candidates[0]?.oldestIdle;
}

function refuse(reason: RefusalReason, message: string): Admission<never> {
  return { admit: false, reason, message };
}
