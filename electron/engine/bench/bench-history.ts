import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchResult } from '../../../shared/throughput.js';

/** Runs kept in memory (the file keeps everything). */
const KEPT = 1000;

/** Every benchmark run as JSON lines in the state dir (`bench-history.jsonl`); bad lines are skipped. */
export class BenchHistory {
  private readonly runs: BenchResult[] = [];

  private constructor(private readonly file: string | null) {}

  /** Opens (and reads) the file; `null` keeps runs in memory only. */
  static async open(file: string | null): Promise<BenchHistory> {
    const history = new BenchHistory(file);
    if (file) await history.read(file);
    return history;
  }

  /** Runs oldest first. */
  all(): BenchResult[] {
    return [...this.runs];
  }

  async append(result: BenchResult): Promise<void> {
    this.remember(result);
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(result)}\n`, 'utf8');
  }

  private async read(file: string): Promise<void> {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    for (const line of text.split('\n')) {
      const run = parseRun(line);
      if (run) this.remember(run);
    }
  }

  private remember(run: BenchResult): void {
    this.runs.push(run);
    if (this.runs.length > KEPT) this.runs.splice(0, this.runs.length - KEPT);
  }
}

function parseRun(line: string): BenchResult | null {
  if (!line.trim()) return null;
  try {
    const run = JSON.parse(line) as BenchResult;
    const ok = typeof run.modelId === 'string' && typeof run.atMs === 'number' && typeof run.tokPerS === 'number' && Array.isArray(run.powerLimitsW);
    return ok ? run : null;
  } catch {
    return null;
  }
}
