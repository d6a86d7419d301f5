// The TP0 scheduler's continuous batching loop: queued requests are prefilled together, then
// every running request gets one token per decode step. Prints the Prefill/Decode lines.
import { EOS_TOKEN_ID, TextGenerator, type FinishReason } from './generate-text.js';
import { fmt2 } from './python-repr.js';
import type { SimMetrics } from './metrics-text.js';

export type Finish = FinishReason | { type: 'abort'; message: string };

export interface EngineOutput {
  /** The token's id; ABORT_TOKEN_ID for the output that reports an abort (no token). */
  tokenId: number;
  /** New text of this step ('' for EOS). */
  delta: string;
  /** Cumulative text so far. */
  text: string;
  completionTokens: number;
  finish: Finish | null;
}

export type RequestKind = 'user' | 'warmup' | 'health';

/** Marks the output of an aborted request, which carries no token. */
export const ABORT_TOKEN_ID = -1;

/**
 * What a model whose weights are undefined produces (weights released without `--enable-weights-cpu-backup`,
 * then resumed): freshly mapped pages usually read as zeros, all logits are equal and greedy argmax picks
 * token 0, `!` in the Llama-3 vocabulary, forever (never EOS). Deterministic, so tests can recognise it.
 */
export const GARBAGE_TOKEN = { id: 0, text: '!' } as const;

export interface RequestSpec {
  rid: string;
  kind: RequestKind;
  /** Seeds the generated text. */
  promptText: string;
  promptTokens: number;
  maxNewTokens: number | null;
  ignoreEos?: boolean;
  stop?: readonly string[];
  onOutput(output: EngineOutput): void;
}

interface Running {
  spec: RequestSpec;
  generator: TextGenerator;
  text: string;
  completionTokens: number;
  textTokens: number;
  startedAtMs: number;
  firstTokenAtMs: number | undefined;
  crashArmed: boolean;
}

export interface SchedulerOptions {
  tokensPerS: number;
  decodeLogInterval: number;
  maxTotalNumTokens: number;
  maxRunningRequests: number;
  contextLen: number;
  cudaGraph: boolean;
  cudaGraphMaxBs: number;
  metrics: SimMetrics;
  /** Writes a TP0 scheduler line. */
  log(message: string): void;
  /** Called (synchronously) when the crash-mid-stream failure fires, or a forward pass faults. */
  onCrash?: () => void;
  /**
   * Asked before every forward pass (prefill or decode): true when it would touch released GPU memory
   * (memory saver on, weights or KV paused), i.e. a CUDA illegal memory access. The scheduler then stops
   * and calls onCrash.
   */
  forwardFaults?: () => boolean;
}

export class Scheduler {
  private readonly queue: Running[] = [];
  private running: Running[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private decodeSteps = 0;
  private tokensSinceLog = 0;
  private lastDecodeLogMs = Date.now();
  private crashPending = false;
  /** never-ready, or a scheduler process that is gone: requests are accepted but never run. */
  hung = false;
  paused = false;
  /** Control requests (release/resume) being handled: the loop runs no batch meanwhile. */
  private controlDepth = 0;
  /** Weights hold undefined values: every token is GARBAGE_TOKEN (see there). */
  garbageWeights = false;
  /** When the last output (token, abort) left the scheduler (epoch ms, sub-ms precision): the tokenizer's last_receive_tstamp. */
  lastOutputMs = 0;

  constructor(private readonly options: SchedulerOptions) {}

  /** Arms crash-mid-stream for the next user request. */
  armCrash(): void {
    this.crashPending = true;
  }

  isIdle(): boolean {
    return this.queue.length === 0 && this.running.length === 0;
  }

  counts(): { running: number; queued: number; usedTokens: number } {
    return { running: this.running.length, queued: this.queue.length, usedTokens: this.usedTokens() };
  }

  activeRids(): string[] {
    return [...this.running, ...this.queue].filter((req) => req.spec.kind === 'user').map((req) => req.spec.rid);
  }

  submit(spec: RequestSpec): void {
    const crashArmed = this.crashPending && spec.kind === 'user';
    if (crashArmed) this.crashPending = false;
    this.queue.push({
      spec,
      generator: new TextGenerator(spec.promptText),
      text: '',
      completionTokens: 0,
      textTokens: 0,
      startedAtMs: Date.now(),
      firstTokenAtMs: undefined,
      crashArmed,
    });
    this.wake();
  }

  /** Aborts requests whose rid starts with `ridPrefix` (all when undefined). */
  abort(ridPrefix: string | undefined, message = 'Abort request'): void {
    const matches = (req: Running) => req.spec.kind === 'user' && (ridPrefix === undefined || req.spec.rid.startsWith(ridPrefix));
    for (const list of [this.queue, this.running]) {
      for (const req of list.filter(matches)) {
        list.splice(list.indexOf(req), 1);
        if (req.spec.kind === 'user') this.options.metrics.abortedRequests += 1;
        this.lastOutputMs = performance.timeOrigin + performance.now();
        req.spec.onOutput({ tokenId: ABORT_TOKEN_ID, delta: '', text: req.text, completionTokens: req.completionTokens, finish: { type: 'abort', message } });
      }
    }
  }

  private usedTokens(): number {
    return this.running.reduce((sum, req) => sum + req.spec.promptTokens + req.completionTokens, 0);
  }

  /** The scheduler loop is busy in a control handler until the returned function is called. */
  holdForControl(): () => void {
    this.controlDepth += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.controlDepth -= 1;
      this.wake();
    };
  }

  /** Real ms of one forward step (prefill or decode): one token per request at SGLANG_SIM_TOKENS_PER_S; 0 = at once. */
  get stepMs(): number {
    return this.options.tokensPerS > 0 ? 1000 / this.options.tokensPerS : 0;
  }

  private wake(): void {
    if (this.timer !== undefined || this.hung || this.paused || this.controlDepth > 0) return;
    if (this.isIdle()) return;
    const stepMs = this.stepMs;
    this.timer = stepMs > 0 ? setTimeout(() => this.step(), stepMs) : setImmediate(() => this.step());
  }

  private step(): void {
    this.timer = undefined;
    if (this.hung || this.paused || this.controlDepth > 0) return;
    if (this.options.forwardFaults?.()) {
      this.hung = true;
      this.options.onCrash?.();
      return;
    }
    if (this.queue.length > 0 && this.running.length < this.options.maxRunningRequests) this.prefill();
    else if (this.running.length > 0) this.decode();
    this.wake();
  }

  private prefill(): void {
    const room = this.options.maxRunningRequests - this.running.length;
    const batch = this.queue.splice(0, room);
    const newTokens = batch.reduce((sum, req) => sum + req.spec.promptTokens, 0);
    const usage = this.usedTokens() / this.options.maxTotalNumTokens;
    this.options.log(
      `Prefill batch. #new-seq: ${batch.length}, #new-token: ${newTokens}, #cached-token: 0, token usage: ${fmt2(usage)}, ` +
        `#running-req: ${this.running.length}, #queue-req: ${this.queue.length}, `,
    );
    for (const req of batch) {
      if (req.spec.kind === 'user') this.options.metrics.promptTokens += req.spec.promptTokens;
      this.running.push(req);
      this.emitNext(req);
    }
  }

  private decode(): void {
    const batch = [...this.running];
    this.decodeSteps += 1;
    this.tokensSinceLog += batch.length;
    if (this.decodeSteps % this.options.decodeLogInterval === 0) this.logDecode(batch.length);
    for (const req of batch) this.emitNext(req);
  }

  private logDecode(runningCount: number): void {
    const now = Date.now();
    const throughput = this.tokensSinceLog / Math.max((now - this.lastDecodeLogMs) / 1000, 1e-3);
    this.options.metrics.genThroughput = throughput;
    this.tokensSinceLog = 0;
    this.lastDecodeLogMs = now;
    const used = this.usedTokens();
    const graph = this.options.cudaGraph && runningCount <= this.options.cudaGraphMaxBs ? 'True' : 'False';
    this.options.log(
      `Decode batch. #running-req: ${runningCount}, #token: ${used}, token usage: ${fmt2(used / this.options.maxTotalNumTokens)}, ` +
        `cuda graph: ${graph}, gen throughput (token/s): ${fmt2(throughput)}, #queue-req: ${this.queue.length}, `,
    );
  }

  /** Produces the request's next token and delivers it; retires the request when finished. */
  private emitNext(req: Running): void {
    const { spec } = req;
    const limit = spec.maxNewTokens ?? Number.POSITIVE_INFINITY;
    const atEos = !this.garbageWeights && !spec.ignoreEos && req.textTokens >= req.generator.naturalLength;
    const token = atEos ? { id: EOS_TOKEN_ID, text: '' } : this.garbageWeights ? GARBAGE_TOKEN : req.generator.next();
    if (!atEos) req.textTokens += 1;
    req.completionTokens += 1;
    req.firstTokenAtMs ??= Date.now();
    const before = req.text;
    req.text += token.text;
    let finish: Finish | null = null;
    if (atEos) finish = { type: 'stop', matched: EOS_TOKEN_ID };
    for (const stop of spec.stop ?? []) {
      const at = stop === '' ? -1 : req.text.indexOf(stop);
      if (finish === null && at >= 0) {
        req.text = req.text.slice(0, at);
        finish = { type: 'stop', matched: stop };
      }
    }
    const contextFull = spec.promptTokens + req.completionTokens >= this.options.contextLen;
    if (finish === null && (req.completionTokens >= limit || contextFull)) finish = { type: 'length', length: req.completionTokens };
    if (spec.kind === 'user') this.options.metrics.generationTokens += 1;
    if (finish !== null) this.retire(req);
    const delta = req.text.startsWith(before) ? req.text.slice(before.length) : '';
    this.lastOutputMs = performance.timeOrigin + performance.now();
    spec.onOutput({ tokenId: token.id, delta, text: req.text, completionTokens: req.completionTokens, finish });
    if (req.crashArmed && req.completionTokens >= Math.min(3, Math.max(1, Math.floor(limit / 2)))) this.options.onCrash?.();
  }

  private retire(req: Running): void {
    this.running = this.running.filter((other) => other !== req);
    if (req.spec.kind !== 'user') return;
    const metrics = this.options.metrics;
    metrics.finishedRequests += 1;
    metrics.e2eLatency.observe((Date.now() - req.startedAtMs) / 1000);
    if (req.firstTokenAtMs !== undefined) metrics.timeToFirstToken.observe((req.firstTokenAtMs - req.startedAtMs) / 1000);
  }

  /** /pause_generation aborts what runs and holds the queue; /continue_generation resumes. */
  pause(): void {
    this.abort(undefined, 'Abort due to pause_generation');
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }
}
