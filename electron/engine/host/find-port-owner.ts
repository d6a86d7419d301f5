import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A process holding a listening socket. */
export interface PortOwner {
  pid: number;
  /** The process's command line, arguments joined with spaces. */
  command: string;
}

interface ListenSocket {
  address: string;
  port: number;
  inode: string;
}

const LISTEN_STATE = '0A';
const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Finds the process listening on `port` (Linux only, via /proc; null elsewhere).
 * With `host`, a socket bound to that address or to a wildcard is preferred; any listener on the
 * port is the fallback. Null when nobody listens or the owner's fds are not readable by this user.
 */
export async function findPortOwner(port: number, host?: string): Promise<PortOwner | null> {
  if (process.platform !== 'linux') return null;
  const sockets = (await Promise.all([readListenSockets('/proc/net/tcp', 4), readListenSockets('/proc/net/tcp6', 6)])).flat();
  const onPort = sockets.filter((s) => s.port === port);
  const wanted = host === undefined ? [] : normalizeHost(host);
  const preferred = onPort.filter((s) => wanted.includes(s.address) || WILDCARDS.has(s.address));
  const inodes = new Set([...preferred, ...onPort].map((s) => s.inode).filter((inode) => inode !== '0'));
  if (inodes.size === 0) return null;
  return findSocketOwner(inodes);
}

/** True when `host:port` can be bound right now (binds an exclusive listener and closes it). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Polls until `host:port` is free; resolves false when `timeoutMs` passes first. */
export async function waitForPortFree(host: string, port: number, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortFree(host, port)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

async function readListenSockets(path: string, family: 4 | 6): Promise<ListenSocket[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const sockets: ListenSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== LISTEN_STATE) continue;
    const [addressHex, portHex] = fields[1].split(':');
    sockets.push({ address: decodeAddress(addressHex, family), port: parseInt(portHex, 16), inode: fields[9] });
  }
  return sockets;
}

/** /proc/net/tcp* print addresses as 32-bit words in host (little-endian) byte order. */
function decodeAddress(hex: string, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = hex.slice(word, word + 8).match(/../g) ?? [];
    bytes.push(...wordBytes.reverse().map((b) => parseInt(b, 16)));
  }
  if (family === 4) return bytes.join('.');
  return formatIpv6(bytes);
}

function formatIpv6(bytes: number[]): string {
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return bytes.slice(12).join('.');
  if (bytes.every((b) => b === 0)) return '::';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const full = groups.join(':');
  return full === '0:0:0:0:0:0:0:1' ? '::1' : full;
}

function normalizeHost(host: string): string[] {
  if (host === 'localhost') return ['127.0.0.1', '::1'];
  if (host.startsWith('::ffff:')) return [host.slice(7)];
  return [host.replace(/^\[|\]$/g, '')];
}

async function findSocketOwner(inodes: Set<string>): Promise<PortOwner | null> {
  const targets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    if (await holdsAnySocket(pid, targets)) {
      return { pid: Number(pid), command: await readCommand(pid) };
    }
  }
  return null;
}

async function holdsAnySocket(pid: string, targets: Set<string>): Promise<boolean> {
  // Other users' fd directories are unreadable and processes vanish mid-scan: both mean "not this one".
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (targets.has(link)) return true;
  }
  return false;
}

async function readCommand(pid: string): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const command = raw.split('\0').filter((part) => part.length > 0).join(' ');
  if (command.length > 0) return command;
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
}
