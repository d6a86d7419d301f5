import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

/**
 * Who is on the other end of an accepted unix socket connection, for the audit log only
 * (access control is the socket file's group and mode, enforced by the kernel at connect).
 *
 * Node has no SO_PEERCRED. What we can get without native code:
 *  1. our end's inode: readlink /proc/self/fd/<fd> → `socket:[N]` (fd from the handle, undocumented);
 *  2. the peer's inode: `ss -xHn` (iproute2, sock_diag UNIX_DIAG_PEER, straight from the kernel);
 *     /proc/net/unix has no peer column, so this step needs `ss`;
 *  3. the process holding the peer socket: scan /proc/<pid>/fd for `socket:[peer]`;
 *  4. its uid/gid: the effective ids on the Uid:/Gid: lines of /proc/<pid>/status.
 * Limits: the ids are read now, not at connect time (a process that changed uid since shows the
 * new one); a socket shared by several processes (fork) names the lowest pid and counts the rest;
 * a client that exits before step 3, or lives in another pid namespace, is not found; without
 * `ss` or without root (other users' /proc/<pid>/fd are unreadable) the result is null.
 */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** The process's command name (/proc/<pid>/comm). */
  comm: string;
  /** How many other processes hold the same socket (0 normally). */
  sharedWith?: number;
}

/** Spawns `ss`; replaceable in tests. */
export type RunSs = (args: string[]) => Promise<string>;

const runSsDefault: RunSs = (args) =>
  new Promise((resolve, reject) => {
    execFile('ss', args, { timeout: 2000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** Looks up the peer of an accepted connection; null when it cannot be determined. Never throws. */
export async function lookupPeerCredentials(socket: Socket, runSs: RunSs = runSsDefault): Promise<PeerCredentials | null> {
  try {
    const ownInode = await socketInode(socket);
    if (ownInode === null) return null;
    const peerInode = findPeerInode(await runSs(['-xHn']), ownInode);
    if (peerInode === null) return null;
    const pids = await pidsHoldingSocket(peerInode);
    if (pids.length === 0) return null;
    const pid = Math.min(...pids);
    const creds = await processCredentials(pid);
    return creds && { ...creds, ...(pids.length > 1 ? { sharedWith: pids.length - 1 } : {}) };
  } catch {
    return null;
  }
}

/** In `ss -xHn` output, the peer inode of the socket whose local inode is `ownInode`. */
export function findPeerInode(ssOutput: string, ownInode: number): number | null {
  for (const line of ssOutput.split('\n')) {
    // Netid State Recv-Q Send-Q Local-Address Local-Port Peer-Address Peer-Port; addresses may be '*'.
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [localPort, , peerPort] = fields.slice(-3);
    if (Number(localPort) === ownInode && /^\d+$/.test(peerPort)) return Number(peerPort);
  }
  return null;
}

/** The effective uid/gid of a process from its status text. */
export function parseProcStatusIds(status: string): { uid: number; gid: number } | null {
  const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
  const gid = /^Gid:\s+\d+\s+(\d+)/m.exec(status);
  return uid && gid ? { uid: Number(uid[1]), gid: Number(gid[1]) } : null;
}

async function socketInode(socket: Socket): Promise<number | null> {
  // libuv keeps the descriptor on the handle; there is no public API for it.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const match = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`));
  return match ? Number(match[1]) : null;
}

async function pidsHoldingSocket(inode: number): Promise<number[]> {
  const target = `socket:[${inode}]`;
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const holds = await Promise.all(pids.map((pid) => holdsLink(`/proc/${pid}/fd`, target)));
  return pids.filter((_, i) => holds[i]).map(Number);
}

async function holdsLink(fdDir: string, target: string): Promise<boolean> {
  const fds = await readdir(fdDir).catch(() => [] as string[]);
  for (const fd of fds) {
    if ((await readlink(`${fdDir}/${fd}`).catch(() => '')) === target) return true;
  }
  return false;
}

async function processCredentials(pid: number): Promise<Omit<PeerCredentials, 'sharedWith'> | null> {
  const ids = parseProcStatusIds(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!ids) return null;
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return { pid, ...ids, comm };
}
