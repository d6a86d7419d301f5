import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { readTcpSockets, TCP_STATE } from './read-tcp-sockets.js';

/** A process holding a listening socket. */
export interface PortOwner {
  pid: number;
  /** The process's command line, arguments joined with spaces. */
  command: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Finds the process listening on `port` (Linux only, via /proc; null elsewhere).
 * With `host`, a socket bound to that address or to a wildcard is preferred; any listener on the
 * port is the fallback. Null when nobody listens or the owner's fds are not readable by this user.
 */
export async function findPortOwner(port: number, host?: string): Promise<PortOwner | null> {
  if (process.platform !== 'linux') return null;
  const sockets = (await readTcpSockets()).filter((s) => s.state === TCP_STATE.listen);
  const onPort = sockets.filter((s) => s.localPort === port);
  const wanted = host === undefined ? [] : normalizeHost(host);
  const preferred = onPort.filter((s) => wanted.includes(s.localAddress) || WILDCARDS.has(s.localAddress));
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
  const command = raw
    .split('\0')
    .filter((part) => part.length > 0)
    .join(' ');
  if (command.length > 0) return command;
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
}
