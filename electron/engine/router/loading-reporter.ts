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
 * How status lines reach one client, in its API's stream format (the OpenAI chunks below,
 * anthropic-status-sink.ts for the Anthropic Messages API).
 */
export interface StatusSink {
  /** The response head (when not sent yet) and whatever opens the status; called by `start`. */
  begin(): void;
  /**
   * One status line. `marked` carries the invisible markers (OPEN on the first line; CLOSE and a
   * newline on the last), `text` is the bare line; `isLast` says the status ends with it.
   */
  line(marked: string, text: string, isLast: boolean): void;
  /** The switch failed (its last line went out): the API's error and the end of the response. */
  fail(failure: { cause: string; message: string; hint: string }): void;
}

/**
 * Streams a switch's progress to one client while it waits for its model, through a StatusSink.
 * The text is wrapped in invisible markers so it can be stripped when the client sends it back in
 * a later turn.
 */
export class LoadingReporter {
  private readonly startedAtMs = Date.now();
  private lastKey = '';
  private first = true;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly modelId: string,
    private readonly sink: StatusSink,
  ) {}

  /** Sends the headers and the first line, then follows the engine until `ready` or `failed`. */
  start(): void {
    this.sink.begin();
    this.emitLine(formatStatusLine({ kind: 'switching', modelId: this.modelId }));
    this.unsubscribe = this.engine.subscribe((event) => {
      if (event.type === 'state') this.onState(event.state, false);
    });
    this.timer = setInterval(() => this.onState(this.engine.state(), true), TICK_MS);
    this.timer.unref();
  }

  /** The model is ready: closes the status block. The model's own stream follows on the same response. */
  ready(): void {
    this.stop();
    this.emitLine(formatStatusLine({ kind: 'ready', modelId: this.modelId, elapsedMs: Date.now() - this.startedAtMs }), true);
  }

  /** The switch failed: a last status line, the API's error and the end of the stream. */
  failed(failure: { cause: string; message: string; hint: string }): void {
    this.stop();
    this.emitLine(formatStatusLine({ kind: 'failed', modelId: this.modelId, message: failure.message, hint: failure.hint }), true);
    this.sink.fail(failure);
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
    const { modelId } = this;
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
      modelId: this.modelId,
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
    this.sink.line(marked, text, close);
  }
}

/** Sends the SSE head at once, unless a request sent again after its server crashed already had it (and status lines). */
export function openStatusStream(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
}

/** A status line as an SSE comment (on one line): clients skip it, proxies see bytes. */
export function sseComment(text: string): string {
  return `: ${text.trimEnd().replace(/\n/g, ' ')}\n\n`;
}

/**
 * Status lines as OpenAI stream chunks in the chosen style: `content` or `reasoning_content` chat
 * chunks (completions: `text`), SSE comments, or nothing; a failure ends with an OpenAI-style
 * error event and `[DONE]`.
 */
export function openAiStatusSink(res: ServerResponse, opts: { style: LoadingMessageStyle; kind: CompletionKind; requestModel: string }): StatusSink {
  const id = `chatcmpl-switchboard-${randomBytes(12).toString('hex')}`;
  const { style, kind } = opts;
  const chunk = (text: string): unknown => {
    const created = Math.floor(Date.now() / 1000);
    const base = { id, created, model: opts.requestModel };
    if (kind === 'completions') {
      return { ...base, object: 'text_completion', choices: [{ index: 0, text, logprobs: null, finish_reason: null }] };
    }
    const delta = style === 'reasoning' ? { role: 'assistant', content: '', reasoning_content: text } : { role: 'assistant', content: text };
    return { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
  };
  return {
    begin() {
      openStatusStream(res);
    },
    line(marked, text) {
      if (style === 'none') return;
      if (style === 'comment' || (style === 'reasoning' && kind === 'completions')) {
        writeChunk(res, sseComment(text));
        return;
      }
      writeChunk(res, `data: ${JSON.stringify(chunk(marked))}\n\n`);
    },
    fail(failure) {
      const error = { error: { message: `${failure.message} — ${failure.hint}`, type: 'model_load_failed', param: null, code: failure.cause } };
      writeChunk(res, `data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
      res.end();
    },
  };
}

/** The slot a model is switching to or queued in, else the slot its GPU set maps to. */
function slotWaitingFor(state: EngineState, modelId: string): SlotView | undefined {
  return state.slots.find((s) => s.pending?.modelId === modelId || s.queue.some((q) => q.modelId === modelId)) ?? state.slots.find((s) => s.id === state.models.find((m) => m.id === modelId)?.slotId);
}
