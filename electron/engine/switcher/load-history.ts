import type { LoadRecord } from '../../../shared/engine-state.js';
import { RotatingJsonLines } from '../../system/rotating-json-lines.js';

/** Records kept in memory per model (what the ETA looks at). */
const KEPT_PER_MODEL = 50;
/**
 * On disk: a record is ~300–500 bytes (phases, power limits, a failure message), so 1 MiB holds
 * ~2,000–3,000 loads and, with 3 rotated files, at least ~6,000 survive any rotation — enough for
 * KEPT_PER_MODEL of every model of a large catalog, so a rotation never makes an ETA forget a model's
 * recent loads. At most 4 MiB, read once at start.
 */
const MAX_FILE_BYTES = 1024 * 1024;
const KEPT_FILES = 3;

/**
 * Every load's outcome and phase durations, as JSON lines in the state dir (rotated by size).
 * Appends are single writes of one line, so a crash loses at most the record being written; bad
 * lines are skipped.
 */
export class LoadHistory {
  private readonly byModel = new Map<string, LoadRecord[]>();

  private constructor(private readonly file: RotatingJsonLines | null) {}

  /** Opens (and reads, rotated files included, oldest first) the history file; `null` keeps history in memory only. */
  static async open(file: string | null): Promise<LoadHistory> {
    const history = new LoadHistory(file ? new RotatingJsonLines({ path: file, maxBytes: MAX_FILE_BYTES, keep: KEPT_FILES }) : null);
    for (const line of (await history.file?.readLines()) ?? []) {
      const record = parseRecord(line);
      if (record) history.remember(record);
    }
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
    await this.file?.append(record);
  }

  private remember(record: LoadRecord): void {
    const list = this.byModel.get(record.modelId) ?? [];
    list.push(record);
    if (list.length > KEPT_PER_MODEL) list.splice(0, list.length - KEPT_PER_MODEL);
    this.byModel.set(record.modelId, list);
  }
}

function parseRecord(line: string): LoadRecord | null {
  try {
    const value = JSON.parse(line) as LoadRecord;
    if (typeof value.modelId !== 'string' || typeof value.startedAtMs !== 'number' || typeof value.endedAtMs !== 'number') return null;
    if (typeof value.phaseMs !== 'object' || value.phaseMs === null) return null;
    return value;
  } catch {
    return null;
  }
}
