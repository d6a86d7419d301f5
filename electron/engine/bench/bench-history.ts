import type { BenchResult } from '../../../shared/throughput.js';
import { RotatingJsonLines } from '../../system/rotating-json-lines.js';

/** Runs kept in memory. */
const KEPT = 1000;
/** On disk: a run is ~180 bytes, so 1 MiB holds ~5,000 and 2 rotated files keep ≥ 10,000 (≫ KEPT) through any rotation; at most 3 MiB. */
const MAX_FILE_BYTES = 1024 * 1024;
const KEPT_FILES = 2;

/** Every benchmark run as JSON lines in the state dir (`bench-history.jsonl`, rotated by size); bad lines are skipped. */
export class BenchHistory {
  private readonly runs: BenchResult[] = [];

  private constructor(private readonly file: RotatingJsonLines | null) {}

  /** Opens (and reads, rotated files included, oldest first) the file; `null` keeps runs in memory only. */
  static async open(file: string | null): Promise<BenchHistory> {
    const history = new BenchHistory(file ? new RotatingJsonLines({ path: file, maxBytes: MAX_FILE_BYTES, keep: KEPT_FILES }) : null);
    for (const line of (await history.file?.readLines()) ?? []) {
      const run = parseRun(line);
      if (run) history.remember(run);
    }
    return history;
  }

  /** Runs oldest first. */
  all(): BenchResult[] {
    return [...this.runs];
  }

  async append(result: BenchResult): Promise<void> {
    this.remember(result);
    await this.file?.append(result);
  }

  private remember(run: BenchResult): void {
    this.runs.push(run);
    if (this.runs.length > KEPT) this.runs.splice(0, this.runs.length - KEPT);
  }
}

function parseRun(line: string): BenchResult | null {
  try {
    const run = JSON.parse(line) as BenchResult;
    const ok = typeof run.modelId === 'string' && typeof run.atMs === 'number' && typeof run.tokPerS === 'number' && Array.isArray(run.powerLimitsW);
    return ok ? run : null;
  } catch {
    return null;
  }
}
