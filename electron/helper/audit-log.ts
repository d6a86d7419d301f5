import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HelperErrorBody } from '../../shared/helper-protocol.js';
import type { PeerCredentials } from './peer-credentials.js';

/** One audit line: who asked for what, and how it ended. */
export interface AuditEntry {
  /** ISO 8601. */
  time: string;
  /** Null when the peer could not be identified (see peer-credentials.ts), and for the helper's own actions (timed reverts, re-applied limits). */
  peer: PeerCredentials | null;
  /** Null when the line was not a readable request (malformed, oversized). */
  op: string | null;
  /** The request's arguments (everything but v, id and op), or `raw` text for unreadable lines. */
  args: Record<string, unknown>;
  outcome: { ok: true } | { ok: false; error: HelperErrorBody };
}

/** Longest raw text kept for an unreadable request line. */
const MAX_RAW_CHARS = 256;

/** Append-only JSON-lines audit log, mode 0640. Each entry is one write(2) on an O_APPEND descriptor. */
export class AuditLog {
  private constructor(private readonly file: FileHandle, readonly path: string) {}

  /** Opens (creating, mode 0640, parent 0750) the log for appending. */
  static async open(path: string): Promise<AuditLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    const file = await open(path, 'a', 0o640);
    // An existing file keeps its old mode on open; the log holds model ids and peers, so tighten it.
    await file.chmod(0o640);
    return new AuditLog(file, path);
  }

  /** Appends one entry. Resolves once the line is written. */
  async append(entry: AuditEntry): Promise<void> {
    await this.file.write(`${JSON.stringify(entry)}\n`);
  }

  async close(): Promise<void> {
    await this.file.close();
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
