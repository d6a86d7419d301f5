import type { BenchHistoryView, BenchResult } from '../../../shared/throughput.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import type { BenchHistory } from './bench-history.js';
import { runBenchmark, type BenchmarkOptions } from './run-benchmark.js';
import { summarizeBench } from './summarize-bench.js';

/** One benchmark at a time, each run recorded in the history. */
export class BenchRunner {
  private running = false;

  constructor(
    private readonly history: BenchHistory,
    private readonly onResult: (result: BenchResult) => void,
  ) {}

  /** Throws `conflict` while another run is under way. */
  async run(engine: Engine, modelId: string, options: BenchmarkOptions = {}): Promise<BenchResult> {
    if (this.running) throw new EngineError('conflict', 'a benchmark is already running; wait for it to finish');
    this.running = true;
    try {
      const result = await runBenchmark(engine, modelId, options);
      await this.history.append(result);
      this.onResult(result);
      return result;
    } finally {
      this.running = false;
    }
  }

  view(): BenchHistoryView {
    const runs = this.history.all();
    return { runs, summary: summarizeBench(runs) };
  }
}
