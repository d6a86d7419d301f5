import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SwapRecord } from '../../../shared/engine-state.js';

/** Records kept in memory (the file keeps everything). */
const KEPT = 1000;

/**
 * Every load and unload with its cause, as JSON lines in the state dir (`swap-history.jsonl`).
 * Appends are fire-and-forget single-line writes in order; a write error is reported once through
 * `onError` and the history goes on in memory.
 */
export class SwapHistory {
  private readonly records: SwapRecord[] = [];
  private writes: Promise<void> = Promise.resolve();
  private failed = false;

  private constructor(private readonly file: string | null, private readonly onError: (message: string) => void) {}

  static async open(file: string | null, onError: (message: string) => void = () => undefined): Promise<SwapHistory> {
    const history = new SwapHistory(file, onError);
    if (file) await history.read(file);
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
    const line = `${JSON.stringify(record)}\n`;
    this.writes = this.writes.then(async () => {
      if (this.failed) return; // appends queued before the first failure
      try {
        await mkdir(dirname(file), { recursive: true });
        await appendFile(file, line, 'utf8');
      } catch (err) {
        this.failed = true;
        this.onError(`swap history: cannot write ${file} (${(err as Error).message}); keeping it in memory only`);
      }
    });
  }

  /** Resolves when every append so far is on disk (tests, shutdown). */
  flushed(): Promise<void> {
    return this.writes;
  }

  private async read(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Missing: a first start. Unreadable: the history is only a record; the engine starts anyway.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`swap history: cannot read ${file} (${(err as Error).message}); starting empty`);
      return;
    }
    for (const line of text.split('\n')) {
      const record = parseRecord(line);
      if (record) this.records.push(record);
    }
    if (this.records.length > KEPT) this.records.splice(0, this.records.length - KEPT);
  }
}

function parseRecord(line: string): SwapRecord | null {
  if (!line.trim()) return null;
  try {
    const value = JSON.parse(line) as SwapRecord;
    if (typeof value.modelId !== 'string' || typeof value.atMs !== 'number' || (value.action !== 'load' && value.action !== 'unload')) return null;
    return value;
  } catch {
    return null;
  }
}
