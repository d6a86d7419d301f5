import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadRecord } from '../../../shared/engine-state.js';

/** Records kept in memory per model (the file keeps everything). */
const KEPT_PER_MODEL = 50;

/**
 * Every load's outcome and phase durations, as JSON lines in the state dir. Appends are single
 * writes of one line, so a crash loses at most the record being written; bad lines are skipped.
 */
export class LoadHistory {
  private readonly byModel = new Map<string, LoadRecord[]>();

  private constructor(private readonly file: string | null) {}

  /** Opens (and reads) the history file; `null` keeps history in memory only. */
  static async open(file: string | null): Promise<LoadHistory> {
    const history = new LoadHistory(file);
    if (file) await history.read(file);
    return history;
  }

  /** Records of one model, oldest first. */
  recordsOf(modelId: string): readonly LoadRecord[] {
    return this.byModel.get(modelId) ?? [];
  }

  /** Every record in memory, oldest first per model. */
  all(): LoadRecord[] {
    return [...this.byModel.values()].flat().sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  async append(record: LoadRecord): Promise<void> {
    this.remember(record);
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(record)}\n`, { encoding: 'utf8' });
  }

  private async read(file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) {
      const record = parseRecord(line);
      if (record) this.remember(record);
    }
  }

  private remember(record: LoadRecord): void {
    const list = this.byModel.get(record.modelId) ?? [];
    list.push(record);
    if (list.length > KEPT_PER_MODEL) list.splice(0, list.length - KEPT_PER_MODEL);
    this.byModel.set(record.modelId, list);
  }
}

function parseRecord(line: string): LoadRecord | null {
  if (!line.trim()) return null;
  try {
    const value = JSON.parse(line) as LoadRecord;
    if (typeof value.modelId !== 'string' || typeof value.startedAtMs !== 'number' || typeof value.endedAtMs !== 'number') return null;
    if (typeof value.phaseMs !== 'object' || value.phaseMs === null) return null;
    return value;
  } catch {
    return null;
  }
}
