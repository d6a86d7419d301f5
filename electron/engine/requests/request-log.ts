import { DEFAULT_REQUEST_LIMIT, matchesRequestFilter, type RequestLogFilter, type RequestRecord } from '../../../shared/request-log.js';
import { RotatingJsonLines } from '../../system/rotating-json-lines.js';
import type { RouterRequestOutcome } from '../router/request-observer.js';

/** Records kept in memory for queries (the JSONL files hold more). */
export const REQUESTS_KEPT = 5000;
/**
 * On disk: a record is ~300 bytes, so 4 MiB holds ~14,000; with 2 rotated files at least ~28,000
 * survive any rotation and the whole log stays under 12 MiB.
 */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const KEPT_FILES = 2;
/** Records waiting for the disk beyond this are not written (a stalled disk must not grow the heap). */
const MAX_PENDING = 10_000;

export interface RequestLogOptions {
  /** The JSONL file (`<stateDir>/requests.jsonl`); null keeps the log in memory only. */
  file: string | null;
  /** The first write error (reported once; the log goes on in memory). */
  onError?: (message: string) => void;
  /** Records kept in memory (default REQUESTS_KEPT). */
  kept?: number;
  maxFileBytes?: number;
}

/**
 * Every router request as one JSON line in a size-capped file (rotated to `.1`, `.2`), the newest
 * REQUESTS_KEPT also in memory, where `list` filters them. `record` is called from the router's
 * observer: it pushes to two arrays. One write is on its way at a time; the records that arrive
 * meanwhile go together in the next (one open + write(2) + close for a whole batch), in order.
 */
export class RequestLog {
  private records: RequestRecord[] = [];
  private readonly kept: number;
  /** Records waiting for the next write. */
  private pending: RequestRecord[] = [];
  /** The write on its way (it goes on with the pending batch when done), or null. */
  private writing: Promise<void> | null = null;
  private failed = false;

  private constructor(
    private readonly file: RotatingJsonLines | null,
    private readonly opts: RequestLogOptions,
  ) {
    this.kept = opts.kept ?? REQUESTS_KEPT;
  }

  /** Opens the log and reads the newest records of the files (an unreadable file is reported and skipped). */
  static async open(opts: RequestLogOptions): Promise<RequestLog> {
    const file = opts.file ? new RotatingJsonLines({ path: opts.file, maxBytes: opts.maxFileBytes ?? MAX_FILE_BYTES, keep: KEPT_FILES }) : null;
    const log = new RequestLog(file, opts);
    if (file) {
      try {
        const lines = await file.readLines();
        for (const line of lines.slice(-log.kept)) {
          const record = parseRecord(line);
          if (record) log.records.push(record);
        }
      } catch (err) {
        opts.onError?.(`request log: cannot read ${file.path} (${(err as Error).message}); starting empty`);
      }
    }
    return log;
  }

  /** The file, when there is one. */
  get path(): string | null {
    return this.file?.path ?? null;
  }

  /** The router's observer (request-observer.ts). */
  readonly observe = (outcome: RouterRequestOutcome): void => {
    this.record(toRecord(outcome));
  };

  record(record: RequestRecord): void {
    this.records.push(record);
    // Trimmed in batches, not one shift per request.
    if (this.records.length > this.kept * 1.25) this.records = this.records.slice(-this.kept);
    if (!this.file || this.failed || this.pending.length >= MAX_PENDING) return;
    this.pending.push(record);
    this.writing ??= this.writeBatches(this.file);
  }

  /** The records that pass `filter`, newest first, at most `limit` (default 100). */
  list(filter: RequestLogFilter = {}): RequestRecord[] {
    const limit = filter.limit ?? DEFAULT_REQUEST_LIMIT;
    const out: RequestRecord[] = [];
    const start = Math.max(0, this.records.length - this.kept);
    for (let i = this.records.length - 1; i >= start && out.length < limit; i--) {
      const record = this.records[i]!;
      if (matchesRequestFilter(record, filter)) out.push(record);
    }
    return out;
  }

  /** Resolves when every record so far is on disk (tests, shutdown). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes the pending records batch by batch until none are left; the first error stops writing for good. */
  private async writeBatches(file: RotatingJsonLines): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failed) {
        const batch = this.pending;
        this.pending = [];
        await file.appendAll(batch).catch((err: Error) => {
          this.failed = true;
          this.pending = [];
          this.opts.onError?.(`request log: cannot write ${file.path} (${err.message}); keeping it in memory only`);
        });
      }
    } finally {
      this.writing = null;
    }
  }
}

/** The stored record: times rounded to 0.1 ms. */
export function toRecord(o: RouterRequestOutcome): RequestRecord {
  return {
    atMs: o.startedAtMs,
    client: o.client,
    route: o.route,
    model: o.model,
    stream: o.stream,
    status: o.status,
    error: o.error,
    waitedMs: o.waitedMs === null ? null : round(o.waitedMs),
    ttftMs: o.ttftMs === null ? null : round(o.ttftMs),
    durationMs: round(o.durationMs),
    promptTokens: o.promptTokens,
    completionTokens: o.completionTokens,
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function parseRecord(line: string): RequestRecord | null {
  try {
    const value = JSON.parse(line) as RequestRecord;
    if (typeof value !== 'object' || value === null || typeof value.atMs !== 'number' || typeof value.status !== 'number' || typeof value.route !== 'string') return null;
    return value;
  } catch {
    return null;
  }
}
