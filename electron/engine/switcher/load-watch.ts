import type { LoadPhase, LoadProgress } from '../../../shared/load-phase.js';
import type { LogEvent } from '../../../shared/log-event.js';
import { LogLineSplitter } from '../logs/split-log-lines.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import { initialLoadState, reduceLoadState, type LoadState } from '../logs/reduce-load-progress.js';

const LAST_LINES = 40;
/** uvicorn's access line for a /health probe: `INFO:     127.0.0.1:40112 - "GET /health HTTP/1.1" 503 Service Unavailable`. */
const HEALTH_PROBE_ACCESS = /"GET \/health(?:_generate)? HTTP\/[\d.]+" \d{3}/;

type FailureEvent = Extract<LogEvent, { kind: 'failure' }>;

/**
 * Follows one backend instance's output: splits it into lines, parses them, tracks the load's
 * phase and progress, times each phase, and keeps the failure lines and the last lines for diagnosis.
 */
export class LoadWatch {
  private readonly splitters = { stdout: new LogLineSplitter(), stderr: new LogLineSplitter() };
  private readonly peeked = { stdout: '', stderr: '' };
  private loadState: LoadState = initialLoadState();
  private readonly phaseMs: Partial<Record<LoadPhase, number>> = {};
  private phaseEnteredAtMs: number;
  private readonly recent: string[] = [];
  /** Failure lines seen, in order. */
  readonly failures: FailureEvent[] = [];
  /** Set when the server logged its ready line. */
  readyLineSeen = false;
  /** When the load last showed progress: a log line other than the engine's own /health probes' access lines. */
  lastProgressAtMs: number;

  constructor(
    private readonly now: () => number,
    private readonly onLine: (stream: 'stdout' | 'stderr', text: string) => void,
    private readonly onEvent: (event: LogEvent, progressChanged: boolean) => void,
  ) {
    this.phaseEnteredAtMs = now();
    this.lastProgressAtMs = this.phaseEnteredAtMs;
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
    const splitter = this.splitters[stream];
    for (const line of splitter.push(chunk)) this.consume(stream, line);
    this.peekBar(stream, splitter.pending());
  }

  /**
   * tqdm writes `\r` before each refresh, so the newest bar state (`Capturing batches (bs=1 …)`) stays
   * an unfinished line until the next refresh — during a silent torch.compile of that size, for minutes.
   * The phase and progress follow it at once (it becomes a log line only when finished), and a new bar
   * state counts as progress.
   */
  private peekBar(stream: 'stdout' | 'stderr', pending: string): void {
    if (pending === '' || pending === this.peeked[stream]) return;
    this.peeked[stream] = pending;
    this.lastProgressAtMs = this.now();
    const event = parseSglangLine(pending);
    if (event?.kind === 'graph_progress' || event?.kind === 'shard_progress') this.reduce(event);
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
    // uvicorn logs every /health probe; those are the engine asking, not the load moving.
    if (!HEALTH_PROBE_ACCESS.test(text)) this.lastProgressAtMs = this.now();
    this.recent.push(text);
    if (this.recent.length > LAST_LINES) this.recent.shift();
    this.onLine(stream, text);
    const event = parseSglangLine(text);
    if (!event) return;
    if (event.kind === 'failure') this.failures.push(event);
    if (event.kind === 'ready') this.readyLineSeen = true;
    this.reduce(event);
  }

  private reduce(event: LogEvent): void {
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
