import type { HelperErrorBody } from '../../shared/helper-protocol.js';
import { RotatingJsonLines } from '../system/rotating-json-lines.js';
import type { PeerCredentials } from './peer-credentials.js';

/** One audit line: who asked for what, and how it ended. */
export interface AuditEntry {
  /** ISO 8601. */
  time: string;
  /** Null when the peer could not be identified (see peer-credentials.ts), and for the helper's own actions (timed reverts, re-applied limits). */
  peer: PeerCredentials | null;
  /** Null when the line was not a readable request (malformed, oversized); the helper's own events have names of their own (`refusedConnections`, `timedRevertPowerLimit`, …). */
  op: string | null;
  /** The request's arguments (everything but v, id and op), or `raw` text for unreadable lines. */
  args: Record<string, unknown>;
  outcome: { ok: true } | { ok: false; error: HelperErrorBody };
}

/** How big the audit log may grow: the current file up to `maxBytes`, plus `keep` rotated ones. */
export interface AuditLogRotation {
  maxBytes: number;
  keep: number;
}

/** 10 MiB holds ~40,000 requests (~250 bytes a line); with 5 rotated files that is months of normal use in at most 60 MiB. */
export const DEFAULT_AUDIT_ROTATION: AuditLogRotation = { maxBytes: 10 * 1024 * 1024, keep: 5 };

/** Longest raw text kept for an unreadable request line. */
const MAX_RAW_CHARS = 256;

/**
 * Append-only JSON-lines audit log, mode 0640 on the current and every rotated file
 * (`path.1` … `path.<keep>`). Each entry is one write(2) on an O_APPEND descriptor, in call order.
 */
export class AuditLog {
  private constructor(private readonly file: RotatingJsonLines) {}

  /** Opens (creating, mode 0640, parent 0750) the log for appending, and tightens older files to 0640. */
  static async open(path: string, rotation: AuditLogRotation = DEFAULT_AUDIT_ROTATION): Promise<AuditLog> {
    // The log holds model ids and peers: not for everyone's eyes, whatever mode an older file had.
    const file = new RotatingJsonLines({ path, ...rotation, mode: 0o640, dirMode: 0o750 });
    await file.prepare();
    return new AuditLog(file);
  }

  /** The current file. */
  get path(): string {
    return this.file.path;
  }

  /** Appends one entry. Resolves once the line is written. */
  async append(entry: AuditEntry): Promise<void> {
    await this.file.append(entry);
  }

  /** Resolves once every entry appended so far is written. */
  async close(): Promise<void> {
    await this.file.flushed();
  }
}

/** Arguments of a request for the log: the request minus its envelope. */
export function auditArgs(request: Record<string, unknown>): Record<string, unknown> {
  const { v: _v, id: _id, op: _op, ...args } = request;
  return args;
}

/** Arguments for a line that was not a valid request: a bounded copy of the raw text. */
export function auditRaw(text: string, bytes: number): Record<string, unknown> {
  return text.length > MAX_RAW_CHARS ? { raw: text.slice(0, MAX_RAW_CHARS), rawTruncated: true, bytes } : { raw: text, bytes };
}
