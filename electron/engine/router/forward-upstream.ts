import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { createDeltaNormalizer, type DeltaNormalizer } from './normalize-deltas.js';
import type { ClientWatch } from './client-watch.js';
import { SseEventSplitter } from './sse-event-splitter.js';
import type { CompletionKind } from './loading-reporter.js';
import { SSE_HEADERS } from './loading-reporter.js';
import { TickCoalescingWriter } from './tick-coalescing-writer.js';
import { noteFirstAnswerByte, noteRequestError, noteRequestUsage } from './request-observer.js';
import { UsageTail } from './usage-tail.js';
import { writeChunk } from './write-chunk.js';

/**
 * One keep-alive agent for every upstream (undici keeps a pool per origin: one per backend slot),
 * one request per connection at a time. No header or body timeout: a non-streaming request sends
 * its headers only after the whole generation, which may take minutes; client disconnects abort
 * the request instead. Idle connections are let go after 4 s, before uvicorn's 5 s keep-alive
 * (SGLang's server) closes them, so a request never lands on a socket the server is closing.
 */
export const upstreamAgent = new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000, headersTimeout: 0, bodyTimeout: 0, connections: null, pipelining: 1 });

/** Response headers that describe the hop, not the body. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server']);
/** Longest upstream error text kept for the client's message. */
const MAX_ERROR_TEXT_BYTES = 64 * 1024;

export interface ForwardInput {
  res: ServerResponse;
  baseUrl: string;
  path: string;
  body: Buffer;
  stream: boolean;
  kind: CompletionKind;
  /** The client's side: a client that goes away aborts the upstream request. */
  client: Pick<ClientWatch, 'gone' | 'onGone'>;
  /** True when the router already answered 200 + SSE headers (status lines went out). */
  headersSent: boolean;
  /**
   * Check a 200 stream for cumulative text and rewrite it into deltas (an `upstream:` server of
   * unknown habits). False for SGLang servers the engine launched: their OpenAI streams are deltas,
   * so their bytes pass through untouched and unparsed.
   */
  normalize: boolean;
  /**
   * When the server cannot be reached (refused, or the connection fails before any response byte),
   * write nothing and resolve 'unreachable': the caller checks for a crash and sends the request
   * again once. False (the default) answers 502 at once.
   */
  retryable?: boolean;
  dispatcher?: Dispatcher;
}

/** What happened upstream, for the engine's bookkeeping and the tests. */
export type ForwardOutcome = 'done' | 'client_gone' | 'upstream_error' | 'unreachable';

/**
 * Sends the request to the model server and streams its answer through as it arrives: each chunk
 * undici hands over is written at once, and the chunks of one tick leave in one write. Streams pass
 * byte for byte unless `normalize` finds cumulative text, which is rewritten into deltas. A broken
 * upstream stream ends with an OpenAI-style error event and `[DONE]`.
 */
export function forwardUpstream(input: ForwardInput): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const handler = new ForwardHandler(input, resolve);
    (input.dispatcher ?? upstreamAgent).dispatch(
      {
        origin: input.baseUrl,
        path: input.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: input.stream ? 'text/event-stream' : 'application/json' },
        body: input.body,
      },
      handler,
    );
  });
}

/** Where the upstream body goes: straight to the client, through the delta normalizer, or into an error text. */
type BodySink = { kind: 'pass' } | { kind: 'normalize'; splitter: SseEventSplitter; normalizer: DeltaNormalizer } | { kind: 'error-text'; status: number; chunks: Buffer[]; bytes: number };

/** undici's handler for one forwarded request (v7 controller API: callbacks, no body stream). */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private sink: BodySink = { kind: 'pass' };
  private readonly writer: TickCoalescingWriter;
  private started = false;
  private settled = false;
  /** The first answer byte was noted (request log: TTFT). */
  private answered = false;
  /** The end of a 200 answer, where `usage` is (request log: tokens); references to chunks, no copies. */
  private usageTail: UsageTail | null = null;
  private stopWatching: (() => void) | undefined;

  constructor(
    private readonly input: ForwardInput,
    private readonly resolve: (outcome: ForwardOutcome) => void,
  ) {
    this.writer = new TickCoalescingWriter(input.res);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.stopWatching = this.input.client.onGone(() => controller.abort(new Error('the client went away')));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.started = true;
    const { input } = this;
    if (input.headersSent && statusCode !== 200) {
      this.sink = { kind: 'error-text', status: statusCode, chunks: [], bytes: 0 };
      return;
    }
    const sse = input.stream && statusCode === 200;
    if (statusCode === 200) this.usageTail = new UsageTail();
    else noteRequestError(input.res, 'upstream_status');
    if (!input.headersSent) input.res.writeHead(statusCode, passHeaders(headers, sse));
    if (sse && input.normalize) this.sink = { kind: 'normalize', splitter: new SseEventSplitter(), normalizer: createDeltaNormalizer(input.kind) };
    // Paused by a full client socket: resume when it drains.
    this.writer.onDrain(() => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const { sink } = this;
    if (sink.kind === 'error-text') {
      if (sink.bytes < MAX_ERROR_TEXT_BYTES) sink.chunks.push(chunk);
      sink.bytes += chunk.length;
      return;
    }
    if (!this.answered) {
      this.answered = true;
      noteFirstAnswerByte(this.input.res);
    }
    this.usageTail?.push(chunk);
    let ok: boolean;
    if (sink.kind === 'pass') ok = this.writer.write(chunk);
    else ok = this.writeNormalized(sink, chunk);
    if (!ok && !this.input.res.destroyed) controller.pause();
  }

  onResponseEnd(): void {
    const { sink, input } = this;
    if (sink.kind === 'error-text') {
      const text = Buffer.concat(sink.chunks).toString('utf8').slice(0, MAX_ERROR_TEXT_BYTES);
      failStream(input, sink.status, upstreamErrorMessage(sink.status, text), 'upstream_error');
      return this.finish('upstream_error');
    }
    if (sink.kind === 'normalize') for (const rest of sink.splitter.flush()) this.writer.write(this.normalizedEvent(sink, rest));
    if (this.usageTail) {
      const { promptTokens, completionTokens } = this.usageTail.usage();
      noteRequestUsage(input.res, promptTokens, completionTokens);
    }
    this.writer.end();
    this.finish('done');
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const { input } = this;
    if (input.client.gone) return this.finish('client_gone');
    if (!this.started && input.retryable) return this.finish('unreachable');
    if (!this.started) failStream(input, 502, `the model server did not answer (${describe(err)})`, 'upstream_unreachable');
    else if (input.stream && this.sink.kind !== 'error-text') {
      this.writer.flush();
      failStream({ ...input, headersSent: true }, 502, `the model server stopped in the middle of the response (${describe(err)})`, 'upstream_disconnected');
    } else input.res.destroy();
    this.finish('upstream_error');
  }

  /** The normalizer's path: split into events while it decides; once the stream proved to be deltas, raw bytes again. */
  private writeNormalized(sink: Extract<BodySink, { kind: 'normalize' }>, chunk: Buffer): boolean {
    if (sink.normalizer.mode === 'delta') return this.writer.write(chunk);
    let ok = true;
    for (const event of sink.splitter.push(chunk)) ok = this.writer.write(this.normalizedEvent(sink, event)) && ok;
    // The events above may have decided it: the rest passes as raw bytes from here on.
    if (isDelta(sink.normalizer)) for (const rest of sink.splitter.flush()) ok = this.writer.write(rest) && ok;
    return ok;
  }

  private normalizedEvent(sink: Extract<BodySink, { kind: 'normalize' }>, event: Buffer): Buffer {
    return sink.normalizer.mode === 'delta' ? event : sink.normalizer.transform(event);
  }

  private finish(outcome: ForwardOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.stopWatching?.();
    this.resolve(outcome);
  }
}

/** Read through a function: the normalizer changes its mode while transforming. */
function isDelta(normalizer: DeltaNormalizer): boolean {
  return normalizer.mode === 'delta';
}

/** Ends a response with an error: JSON when nothing was sent yet, else an SSE error event + [DONE]. */
function failStream(input: ForwardInput, status: number, message: string, code: string): void {
  const { res } = input;
  noteRequestError(res, code);
  const error = { error: { message, type: 'upstream_error', param: null, code } };
  if (!input.headersSent && !res.headersSent) {
    if (input.stream) {
      res.writeHead(200, SSE_HEADERS);
      writeChunk(res, `data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
      res.end();
      return;
    }
    const text = JSON.stringify(error);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  writeChunk(res, `data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
  res.end();
}

function passHeaders(headers: IncomingHttpHeaders, sse: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  }
  if (sse) {
    out['cache-control'] = 'no-cache';
    out['x-accel-buffering'] = 'no';
  }
  return out;
}

/** The message of a non-200 upstream answer (OpenAI, SGLang or FastAPI error body, else its text). */
export function upstreamErrorMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: { message?: string } | string; detail?: string };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message ?? body.detail);
    if (message) return `the model server answered ${status}: ${message}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `the model server answered ${status}${text ? `: ${text.slice(0, 500)}` : ''}`;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ') || String(err);
}
