import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';

/**
 * The kernel's SO_PEERCRED of a connected unix socket: the pid, effective uid and gid of the
 * process that called connect(), as they were at that moment (a later setuid or exit does not
 * change them; a socket handed to another process still names the one that connected). A client
 * in a pid namespace the helper cannot see shows pid 0.
 */
export interface PeerIds {
  pid: number;
  uid: number;
  gid: number;
}

/** A peer as the audit log names it. */
export interface PeerCredentials extends PeerIds {
  /** The process's command name (/proc/<pid>/comm), read when first audited; '' once the process is gone. */
  comm: string;
}

/** Reads the peer of an accepted connection; null when it cannot be read. Synchronous and cheap (one getsockopt). */
export type ReadPeerIds = (socket: Socket) => PeerIds | null;

const SOL_SOCKET = 1;
/** SO_PEERCRED is 17 on these architectures (asm-generic); others (mips, ppc, sparc, parisc) number it differently. */
const SO_PEERCRED = 17;
const SO_PEERCRED_IS_17 = ['x64', 'arm64', 'arm', 'ia32'];

/**
 * Loads getsockopt(2) from libc through koffi (Node has no SO_PEERCRED) and returns the reader.
 * Where that is impossible — not Linux, another architecture, koffi or libc missing — it says why
 * once through `log` and returns a reader that always answers null: the helper then serves with
 * peers unknown (audit `peer: null`, only the global connection cap), never crashes.
 */
export async function loadPeerCredentials(opts: { log: (line: string) => void; arch?: string; platform?: string; libc?: string }): Promise<ReadPeerIds> {
  const { arch = process.arch, platform = process.platform, libc = 'libc.so.6' } = opts;
  const unknown = (reason: string): ReadPeerIds => {
    opts.log(`peer credentials unavailable (${reason}); connections are audited with peer null and only the total connection cap applies`);
    return () => null;
  };
  if (platform !== 'linux') return unknown(`SO_PEERCRED is read on Linux only, this is ${platform}`);
  if (!SO_PEERCRED_IS_17.includes(arch)) return unknown(`SO_PEERCRED's number on ${arch} is not known to this helper`);
  let getsockopt: (fd: number, level: number, name: number, out: Partial<PeerIds>, len: number[]) => number;
  try {
    const koffi = (await import('koffi')).default;
    // Anonymous: a named koffi type can be declared once per process, and this may be loaded more than once (tests).
    const ucred = koffi.struct({ pid: 'int32', uid: 'uint32', gid: 'uint32' });
    getsockopt = koffi.load(libc).func('getsockopt', 'int', ['int', 'int', 'int', koffi.out(koffi.pointer(ucred)), koffi.inout(koffi.pointer('uint32'))]);
  } catch (err) {
    return unknown(`cannot call getsockopt in ${libc} through koffi: ${err instanceof Error ? err.message : String(err)}`);
  }
  return (socket) => {
    // libuv keeps the descriptor on the handle; Node has no public API for it.
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return null;
    const out: Partial<PeerIds> = {};
    const len = [12];
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, out, len) !== 0 || len[0] !== 12) return null;
    return { pid: out.pid!, uid: out.uid!, gid: out.gid! };
  };
}

/** The command name of `pid` (/proc/<pid>/comm); '' when the process is gone or hidden. */
export async function readProcessComm(pid: number): Promise<string> {
  if (!(pid > 0)) return '';
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}
