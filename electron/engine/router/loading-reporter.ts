import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EngineState, SlotView } from '../../../shared/engine-state.js';
import type { LoadingMessageStyle } from '../../../shared/catalog-schema.js';
import { LOAD_PHASE_LABELS } from '../../../shared/load-phase.js';
import { describeStall } from '../../../shared/stall-timeouts.js';
import type { Engine } from '../engine-api.js';
import { formatStatusLine, STATUS_CLOSE, STATUS_OPEN } from './status-text.js';
import { writeChunk } from './write-chunk.js';

/** A status line goes out at least this often while a switch runs, so clients and proxies never time out. */
const TICK_MS = 10_000;

export type CompletionKind = 'chat' | 'completions';

/** The SSE headers the router sends when it answers before the model does. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * Streams a switch's progress to one client while it waits for its model, in the chosen style:
 * chat chunks (`content` or `reasoning_content`), SSE comments, or nothing. The text is wrapped
 * in invisible markers so it can be stripped when the client sends it back in a later turn.
 */
export class LoadingReporter {
  private readonly id = `chatcmpl-switchboard-${randomBytes(12).toString('hex')}`;
  private readonly startedAtMs = Date.now();
  private lastKey = '';
  private first = true;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly engine: Engine,
    private readonly opts: { style: LoadingMessageStyle; kind: CompletionKind; modelId: string; requestModel: string },
  ) {}

  /** Sends the headers and the first line, then follows the engine until `ready` or `failed`. */
  start(): void {
    // A request sent again after its server crashed may already have had status lines (and headers).
    if (!this.res.headersSent) {
      this.res.writeHead(200, SSE_HEADERS);
      this.res.flushHeaders();
    }
    this.emitLine(formatStatusLine({ kind: 'switching', modelId: this.opts.modelId }));
    this.unsubscribe = this.engine.subscribe((event) => {
      if (event.type === 'state') this.onState(event.state, false);
    });
    this.timer = setInterval(() => this.onState(this.engine.state(), true), TICK_MS);
    this.timer.unref();
  }

  /** The model is ready: closes the status block. The model's own stream follows on the same response. */
  ready(): void {
    this.stop();
    this.emitLine(formatStatusLine({ kind: 'ready', modelId: this.opts.modelId, elapsedMs: Date.now() - this.startedAtMs }), true);
  }

  /** The switch failed: a last status line, an OpenAI-style error event and the end of the stream. */
  failed(failure: { cause: string; message: string; hint: string }): void {
    this.stop();
    this.emitLine(formatStatusLine({ kind: 'failed', modelId: this.opts.modelId, message: failure.message, hint: failure.hint }), true);
    const error = { error: { message: `${failure.message} — ${failure.hint}`, type: 'model_load_failed', param: null, code: failure.cause } };
    writeChunk(this.res, `data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
    this.res.end();
  }

  /** Stops following the engine (client gone, or the wait ended). */
  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onState(state: EngineState, tick: boolean): void {
    const line = this.describe(state);
    if (!line) return;
    if (!tick && line.key === this.lastKey) return;
    this.lastKey = line.key;
    this.emitLine(line.text);
  }

  /** What the target model is doing now, and a key that changes only with the phase or queue place. */
  private describe(state: EngineState): { key: string; text: string } | null {
    const { modelId } = this.opts;
    const own = state.slots.find((s) => s.modelId === modelId) ?? slotWaitingFor(state, modelId);
    if (own && own.modelId === modelId && (own.status === 'starting' || own.status === 'loading') && own.progress) return this.phaseLine(own);
    if (own && own.modelId === modelId && own.status === 'waking') {
      const text = formatStatusLine({ kind: 'tick', modelId, phaseLabel: `Waking ${modelId} (its GPU memory coming back)`, elapsedMs: Date.now() - (own.loadStartedAtMs ?? this.startedAtMs) });
      return { key: 'waking', text };
    }
    // Not loading yet: what it waits for — a slot that gives up its GPUs (draining, stopping, going to sleep), else its own slot.
    const slot = state.slots.find((s) => s.modelId !== modelId && (s.draining || s.status === 'stopping' || s.status === 'releasing')) ?? own;
    if (!slot) return null;
    const ahead = slot.queue.findIndex((q) => q.modelId === modelId);
    const what =
      slot.status === 'ready' && slot.draining
        ? `${slot.modelId} finishing its requests`
        : slot.status === 'releasing'
          ? `${slot.modelId} going to sleep`
          : slot.modelId
            ? `${slot.modelId} (${slot.status})`
            : slot.status;
    const text = formatStatusLine({ kind: 'tick', modelId, phaseLabel: `Waiting: ${what}${ahead > 0 ? `, ${ahead} switch(es) ahead` : ''}`, elapsedMs: Date.now() - this.startedAtMs });
    return { key: `wait|${what}|${ahead}`, text };
  }

  private phaseLine(slot: SlotView): { key: string; text: string } {
    const progress = slot.progress!;
    const fraction = progress.phaseFraction;
    const stall = describeStall(slot.stall, Date.now());
    const detail = [progress.detail, stall].filter(Boolean).join(' · ');
    const text = formatStatusLine({
      kind: 'phase',
      modelId: this.opts.modelId,
      phaseLabel: LOAD_PHASE_LABELS[progress.phase],
      ...(fraction !== undefined ? { percent: Math.round(fraction * 100) } : {}),
      ...(detail ? { detail } : {}),
      elapsedMs: Date.now() - (slot.loadStartedAtMs ?? this.startedAtMs),
      etaMs: slot.etaMs ?? null,
    });
    return { key: `phase|${progress.phase}|${stall ? 'stalled' : ''}`, text };
  }

  private emitLine(text: string, close = false): void {
    const marked = `${this.first ? STATUS_OPEN : ''}${text}${close ? `${STATUS_CLOSE}\n` : ''}`;
    this.first = false;
    const { style, kind } = this.opts;
    if (style === 'none') return;
    if (style === 'comment' || (style === 'reasoning' && kind === 'completions')) {
      writeChunk(this.res, `: ${text.trimEnd().replace(/\n/g, ' ')}\n\n`);
      return;
    }
    writeChunk(this.res, `data: ${JSON.stringify(this.chunk(marked))}\n\n`);
  }

  private chunk(text: string): unknown {
    const created = Math.floor(Date.now() / 1000);
    const base = { id: this.id, created, model: this.opts.requestModel };
    if (this.opts.kind === 'completions') {
      return { ...base, object: 'text_completion', choices: [{ index: 0, text, logprobs: null, finish_reason: null }] };
    }
    const delta = this.opts.style === 'reasoning' ? { role: 'assistant', content: '', reasoning_content: text } : { role: 'assistant', content: text };
    return { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
  }
}

/** The slot a model is switching to or queued in, else the slot its GPU set maps to. */
function slotWaitingFor(state: EngineState, modelId: string): SlotView | undefined {
  return state.slots.find((s) => s.pending?.modelId === modelId || s.queue.some((q) => q.modelId === modelId)) ?? state.slots.find((s) => s.id === state.models.find((m) => m.id === modelId)?.slotId);
}
