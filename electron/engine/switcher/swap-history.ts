import type { SwapRecord } from '../../../shared/engine-state.js';
import { RotatingJsonLines } from '../../system/rotating-json-lines.js';

/** Records kept in memory. */
const KEPT = 1000;
/**
 * On disk: a record is ~170 bytes, so 1 MiB holds ~6,000; with 2 rotated files at least ~12,000 (far
 * more than KEPT) survive any rotation, and the whole history stays under 3 MiB.
 */
const MAX_FILE_BYTES = 1024 * 1024;
const KEPT_FILES = 2;

const SWAP_ACTIONS: ReadonlySet<string> = new Set<SwapRecord['action']>(['load', 'unload', 'sleep', 'wake']);

/**
 * Every load and unload with its cause, as JSON lines in the state dir (`swap-history.jsonl`,
 * rotated by size to `.1`, `.2`). Appends are fire-and-forget single-line writes in order; a write
 * error is reported once through `onError` and the history goes on in memory.
 */
export class SwapHistory {
  private readonly records: SwapRecord[] = [];
  private writes: Promise<void> = Promise.resolve();
  private failed = false;

  private constructor(
    private readonly file: RotatingJsonLines | null,
    private readonly onError: (message: string) => void,
  ) {}

  static async open(file: string | null, onError: (message: string) => void = () => undefined): Promise<SwapHistory> {
    const history = new SwapHistory(file ? new RotatingJsonLines({ path: file, maxBytes: MAX_FILE_BYTES, keep: KEPT_FILES }) : null, onError);
    await history.read();
    return history;
  }

  /** The newest `limit` records, oldest first. */
  recent(limit: number): SwapRecord[] {
    return limit <= 0 ? [] : this.records.slice(-limit);
  }

  append(record: SwapRecord): void {
    this.records.push(record);
    if (this.records.length > KEPT) this.records.splice(0, this.records.length - KEPT);
    const file = this.file;
    if (!file || this.failed) return;
    this.writes = file.append(record).catch((err: Error) => {
      if (this.failed) return; // appends queued before the first failure
      this.failed = true;
      this.onError(`swap history: cannot write ${file.path} (${err.message}); keeping it in memory only`);
    });
  }

  /** Resolves when every append so far is on disk (tests, shutdown). */
  flushed(): Promise<void> {
    return this.writes;
  }

  private async read(): Promise<void> {
    if (!this.file) return;
    let lines: string[];
    try {
      lines = await this.file.readLines();
    } catch (err) {
      // Missing files are a first start; unreadable: the history is only a record, the engine starts anyway.
      this.onError(`swap history: cannot read ${this.file.path} (${(err as Error).message}); starting empty`);
      return;
    }
    for (const line of lines) {
      const record = parseRecord(line);
      if (record) this.records.push(record);
    }
    if (this.records.length > KEPT) this.records.splice(0, this.records.length - KEPT);
  }
}

function parseRecord(line: string): SwapRecord | null {
  try {
    const value = JSON.parse(line) as SwapRecord;
    if (typeof value.modelId !== 'string' || typeof value.atMs !== 'number' || !SWAP_ACTIONS.has(value.action as string)) return null;
    return value;
  } catch {
    return null;
  }
}
