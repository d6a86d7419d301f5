import type { LoadPhase, LoadProgress } from '../../../shared/load-phase.js';
import type { LogEvent } from '../../../shared/log-event.js';
import { LogLineSplitter } from '../logs/split-log-lines.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import { initialLoadState, reduceLoadState, type LoadState } from '../logs/reduce-load-progress.js';

const LAST_LINES = 40;

type FailureEvent = Extract<LogEvent, { kind: 'failure' }>;

/**
 * Follows one backend instance's output: splits it into lines, parses them, tracks the load's
 * phase and progress, times each phase, and keeps the failure lines and the last lines for diagnosis.
 */
export class LoadWatch {
  private readonly splitters = { stdout: new LogLineSplitter(), stderr: new LogLineSplitter() };
  private loadState: LoadState = initialLoadState();
  private readonly phaseMs: Partial<Record<LoadPhase, number>> = {};
  private phaseEnteredAtMs: number;
  private readonly recent: string[] = [];
  /** Failure lines seen, in order. */
  readonly failures: FailureEvent[] = [];
  /** Set when the server logged its ready line. */
  readyLineSeen = false;

  constructor(
    private readonly now: () => number,
    private readonly onLine: (stream: 'stdout' | 'stderr', text: string) => void,
    private readonly onEvent: (event: LogEvent, progressChanged: boolean) => void,
  ) {
    this.phaseEnteredAtMs = now();
  }

  get progress(): LoadProgress {
    return this.loadState.progress;
  }

  /** Time spent in the current phase so far. */
  get phaseElapsedMs(): number {
    return this.now() - this.phaseEnteredAtMs;
  }

  /** Feeds a raw output chunk. */
  push(stream: 'stdout' | 'stderr', chunk: string): void {
    for (const line of this.splitters[stream].push(chunk)) this.consume(stream, line);
  }

  /** Feeds whatever partial lines remain (call when the process ended). */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const line of this.splitters[stream].flush()) this.consume(stream, line);
    }
  }

  /** The last lines of output, oldest first. */
  lastLines(): string[] {
    return [...this.recent];
  }

  /** Closes the current phase and returns every phase's duration. */
  finishPhases(): Partial<Record<LoadPhase, number>> {
    this.closePhase();
    return { ...this.phaseMs };
  }

  private consume(stream: 'stdout' | 'stderr', text: string): void {
    this.recent.push(text);
    if (this.recent.length > LAST_LINES) this.recent.shift();
    this.onLine(stream, text);
    const event = parseSglangLine(text);
    if (!event) return;
    if (event.kind === 'failure') this.failures.push(event);
    if (event.kind === 'ready') this.readyLineSeen = true;
    const before = this.loadState.progress;
    this.loadState = reduceLoadState(this.loadState, event);
    const after = this.loadState.progress;
    if (after.phase !== before.phase) {
      this.closePhase(before.phase);
      this.phaseEnteredAtMs = this.now();
    }
    this.onEvent(event, after !== before);
  }

  private closePhase(phase: LoadPhase = this.loadState.progress.phase): void {
    const now = this.now();
    this.phaseMs[phase] = (this.phaseMs[phase] ?? 0) + (now - this.phaseEnteredAtMs);
    this.phaseEnteredAtMs = now;
  }
}
