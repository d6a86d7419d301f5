import type { ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { createDeltaNormalizer } from './normalize-deltas.js';
import { SseEventSplitter } from './sse-event-splitter.js';
import type { CompletionKind } from './loading-reporter.js';
import { SSE_HEADERS } from './loading-reporter.js';
import { writeChunk } from './write-chunk.js';

/**
 * One keep-alive agent for every upstream. No header or body timeout: a non-streaming request
 * sends its headers only after the whole generation, which may take minutes. Client disconnects
 * abort the request instead.
 */
export const upstreamAgent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connections: null });

/** Response headers that describe the hop, not the body. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server']);

export interface ForwardInput {
  res: ServerResponse;
  baseUrl: string;
  path: string;
  body: Buffer;
  stream: boolean;
  kind: CompletionKind;
  signal: AbortSignal;
  /** True when the router already answered 200 + SSE headers (status lines went out). */
  headersSent: boolean;
  dispatcher?: Dispatcher;
}

/** What happened upstream, for the engine's bookkeeping and the tests. */
export type ForwardOutcome = 'done' | 'client_gone' | 'upstream_error';

/**
 * Sends the request to the model server and streams its answer through as it arrives. Streams
 * pass byte for byte unless the upstream turns out to send cumulative text, which is rewritten
 * into deltas. A broken upstream stream ends with an OpenAI-style error event and `[DONE]`.
 */
export async function forwardUpstream(input: ForwardInput): Promise<ForwardOutcome> {
  const { res } = input;
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await (input.dispatcher ?? upstreamAgent).request({
      origin: input.baseUrl,
      path: input.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: input.stream ? 'text/event-stream' : 'application/json' },
      body: input.body,
      signal: input.signal,
    });
  } catch (err) {
    if (input.signal.aborted) return 'client_gone';
    failStream(input, 502, `the model server did not answer (${describe(err)})`, 'upstream_unreachable');
    return 'upstream_error';
  }
  if (input.headersSent && upstream.statusCode !== 200) {
    const text = await upstream.body.text().catch(() => '');
    failStream(input, upstream.statusCode, upstreamErrorMessage(upstream.statusCode, text), 'upstream_error');
    return 'upstream_error';
  }
  if (!input.headersSent) res.writeHead(upstream.statusCode, passHeaders(upstream.headers, input.stream && upstream.statusCode === 200));
  return pipeBody(input, upstream, input.stream && upstream.statusCode === 200);
}

/**
 * Streams the upstream body to the client with 'data' events (cheaper per chunk than async
 * iteration), pausing the upstream while the client's socket buffer is full.
 */
function pipeBody(input: ForwardInput, upstream: Dispatcher.ResponseData, sse: boolean): Promise<ForwardOutcome> {
  const { res } = input;
  const body = upstream.body;
  const normalizer = sse ? createDeltaNormalizer(input.kind) : null;
  const splitter = new SseEventSplitter();
  // Read through a function: the normalizer decides its mode while transforming.
  const passRaw = () => normalizer === null || normalizer.mode === 'delta';
  const write = (data: Buffer) => writeChunk(res, data);
  return new Promise<ForwardOutcome>((resolve) => {
    let paused = false;
    body.on('data', (chunk: Buffer) => {
      let ok = true;
      if (passRaw()) ok = write(chunk);
      else {
        for (const event of splitter.push(chunk)) ok = write(passRaw() ? event : normalizer!.transform(event)) && ok;
        // Once the stream proved to be true deltas, stop splitting: the rest passes as raw bytes.
        if (passRaw()) for (const rest of splitter.flush()) ok = write(rest) && ok;
      }
      if (!ok && !paused && !res.destroyed) {
        paused = true;
        body.pause();
        res.once('drain', () => {
          paused = false;
          body.resume();
        });
      }
    });
    body.once('end', () => {
      for (const rest of splitter.flush()) write(passRaw() ? rest : normalizer!.transform(rest));
      res.end();
      resolve('done');
    });
    body.once('error', (err: Error) => {
      if (input.signal.aborted) return resolve('client_gone');
      if (sse) failStream({ ...input, headersSent: true }, 502, `the model server stopped in the middle of the response (${describe(err)})`, 'upstream_disconnected');
      else res.destroy();
      resolve('upstream_error');
    });
  });
}

/** Ends a response with an error: JSON when nothing was sent yet, else an SSE error event + [DONE]. */
function failStream(input: ForwardInput, status: number, message: string, code: string): void {
  const { res } = input;
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

function passHeaders(headers: Dispatcher.ResponseData['headers'], sse: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  }
  if (sse) Object.assign(out, { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  return out;
}

function upstreamErrorMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: { message?: string } | string; detail?: string };
    const message = typeof body.error === 'string' ? body.error : body.error?.message ?? body.message ?? body.detail;
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
