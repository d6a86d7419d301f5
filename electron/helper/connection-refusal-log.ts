import type { HelperErrorCode } from '../../shared/helper-protocol.js';
import type { RefusalReason } from './admit-connection.js';
import type { AuditEntry, AuditLog } from './audit-log.js';
import { readProcessComm, type PeerIds } from './peer-credentials.js';

/** A connection the helper closed without serving a request: refused at accept, evicted to make room, or too slow to send a line. */
export type ConnectionRefusal = RefusalReason | 'evicted' | 'line_timeout';

/** One audit line per user per interval at most: a flood of 1,000 connections a second for a day is 1,440 lines, not 86 million. */
const DEFAULT_INTERVAL_MS = 60_000;
/** Pids named in one summary line; the rest are counted. */
const MAX_PIDS = 16;

interface Window {
  count: number;
  reasons: Partial<Record<ConnectionRefusal, number>>;
  pids: Set<number>;
  morePids: number;
  peer: PeerIds | null;
  sinceMs: number;
  code: HelperErrorCode;
  message: string;
  timer: NodeJS.Timeout;
}

/**
 * Audits closed-unserved connections without writing a line per connection. The first one from a
 * user (uid; unidentified peers share one key) is written at once, so an operator sees a flood
 * start; further ones are counted and written as one summary line (`op: "refusedConnections"`, the
 * count by reason, up to 16 pids) at the end of each interval in which there were any. The same
 * text goes to stderr (the journal), just as rarely. Nothing is queued per connection: a refusal
 * costs a counter increment.
 */
export class ConnectionRefusalLog {
  private readonly windows = new Map<number | 'unknown', Window>();
  /** Lines are written one after another, in the order they were decided. */
  private writes: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;

  constructor(private readonly opts: { audit: Pick<AuditLog, 'append' | 'path'>; log: (line: string) => void; intervalMs?: number }) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /** Counts one closed connection of `peer`; `message` is what the client was told. */
  record(peer: PeerIds | null, reason: ConnectionRefusal, message: string): void {
    const key = peer ? peer.uid : 'unknown';
    const code: HelperErrorCode = reason === 'line_timeout' ? 'timeout' : 'busy';
    const open = this.windows.get(key);
    if (!open) {
      const window = this.newWindow(key, peer);
      this.count(window, peer, reason, code, message);
      this.write(key, window); // the first one at once
      return;
    }
    this.count(open, peer, reason, code, message);
  }

  /** Writes what is counted and stops the timers; resolves once every line is written. */
  async close(): Promise<void> {
    for (const [key, window] of this.windows) {
      clearInterval(window.timer);
      if (window.count > 0) this.write(key, window);
    }
    this.windows.clear();
    await this.writes;
  }

  private newWindow(key: number | 'unknown', peer: PeerIds | null): Window {
    const timer = setInterval(() => this.endInterval(key), this.intervalMs);
    timer.unref();
    const window: Window = { count: 0, reasons: {}, pids: new Set(), morePids: 0, peer, sinceMs: Date.now(), code: 'busy', message: '', timer };
    this.windows.set(key, window);
    return window;
  }

  private count(window: Window, peer: PeerIds | null, reason: ConnectionRefusal, code: HelperErrorCode, message: string): void {
    window.count++;
    window.reasons[reason] = (window.reasons[reason] ?? 0) + 1;
    if (peer && !window.pids.has(peer.pid)) {
      if (window.pids.size < MAX_PIDS) window.pids.add(peer.pid);
      else window.morePids++;
    }
    window.peer ??= peer;
    window.code = code;
    window.message = message;
  }

  /** A quiet interval closes the window (the next refusal is written at once again); a busy one is summarised. */
  private endInterval(key: number | 'unknown'): void {
    const window = this.windows.get(key);
    if (!window) return;
    if (window.count === 0) {
      clearInterval(window.timer);
      this.windows.delete(key);
      return;
    }
    this.write(key, window);
  }

  private write(key: number | 'unknown', window: Window): void {
    const { count, reasons, pids, morePids, peer, sinceMs, code, message } = window;
    Object.assign(window, { count: 0, reasons: {}, pids: new Set(), morePids: 0, peer: null, sinceMs: Date.now() });
    const args = { connections: count, reasons, pids: [...pids], ...(morePids > 0 ? { morePids } : {}), since: new Date(sinceMs).toISOString() };
    const who = key === 'unknown' ? 'unidentified peers' : `uid ${key}`;
    this.opts.log(
      `closed ${count} connection${count === 1 ? '' : 's'} of ${who} unserved since ${args.since} (${Object.entries(reasons)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ')}): ${message}`,
    );
    this.writes = this.writes.then(async () => {
      const entry: AuditEntry = {
        time: new Date().toISOString(),
        peer: peer && { ...peer, comm: await readProcessComm(peer.pid) },
        op: 'refusedConnections',
        args,
        outcome: { ok: false, error: { code, message } },
      };
      await this.opts.audit.append(entry).catch((err: unknown) => this.opts.log(`audit log ${this.opts.audit.path}: ${String(err)}; entry: ${JSON.stringify(entry)}`));
    });
  }
}
