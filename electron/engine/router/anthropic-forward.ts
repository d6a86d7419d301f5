import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { sendAnthropicError } from './anthropic-error.js';
import { UntranslatableAnswer } from './anthropic-response.js';
import type { AnthropicStreamTranslator } from './anthropic-stream.js';
import type { ClientWatch } from './client-watch.js';
import { upstreamAgent, upstreamErrorMessage, type ForwardOutcome } from './forward-upstream.js';
import { SSE_HEADERS } from './loading-reporter.js';
import { openAiError } from './openai-error.js';
import { noteFirstAnswerByte, noteRequestError, noteRequestUsage } from './request-observer.js';
import { parseSseData, SseEventSplitter } from './sse-event-splitter.js';
import { writeChunk } from './write-chunk.js';

/** Longest upstream error text kept for the client's message. */
const MAX_ERROR_TEXT_BYTES = 64 * 1024;

export interface AnthropicForwardInput {
  res: ServerResponse;
  baseUrl: string;
  /** `/v1/chat/completions`, or `/v1/tokenize` for count_tokens. */
  path: string;
  /** The translated OpenAI request. */
  body: Buffer;
  /** The client's side: a client that goes away aborts the upstream request. */
  client: Pick<ClientWatch, 'gone' | 'onGone'>;
  /** As forwardUpstream's: an unreachable server resolves 'unreachable' with nothing written. */
  retryable: boolean;
  /** Streams: the translator of this answer's events (with the stream state the status sink shares). */
  translator?: AnthropicStreamTranslator;
  /** Otherwise: the server's JSON answer as the client's JSON body; may throw UntranslatableAnswer. */
  translateJson?: (json: unknown) => unknown;
  dispatcher?: Dispatcher;
}

/**
 * Sends a translated request to the model server and answers the client in Anthropic's API. Unlike
 * the OpenAI routes' byte pass-through, every answer is parsed: a stream event by event through the
 * translator (written as it comes, waiting for the client's socket when it is full), a JSON answer
 * whole. Upstream errors become Anthropic errors with the upstream's status: JSON while nothing was
 * sent, else an `error` event that ends the stream.
 */
export async function forwardAnthropic(input: AnthropicForwardInput): Promise<ForwardOutcome> {
  const { res, client } = input;
  const controller = new AbortController();
  const stopWatching = client.onGone(() => controller.abort(new Error('the client went away')));
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await (input.dispatcher ?? upstreamAgent).request({
        origin: input.baseUrl,
        path: input.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: input.translator ? 'text/event-stream' : 'application/json' },
        body: input.body,
        signal: controller.signal,
      });
    } catch (err) {
      if (client.gone) return 'client_gone';
      if (input.retryable) return 'unreachable';
      fail(res, 502, `the model server did not answer (${describeError(err)})`, 'upstream_unreachable');
      return 'upstream_error';
    }
    if (response.statusCode !== 200) {
      const text = await readErrorText(response.body);
      fail(res, response.statusCode, upstreamErrorMessage(response.statusCode, text), 'upstream_status');
      return 'upstream_error';
    }
    return input.translator ? await relayStream(input, input.translator, response.body) : await relayJson(input, response.body);
  } catch (err) {
    if (client.gone) return 'client_gone';
    fail(res, 502, `the model server stopped in the middle of the response (${describeError(err)})`, 'upstream_disconnected');
    return 'upstream_error';
  } finally {
    stopWatching();
  }
}

async function relayStream(input: AnthropicForwardInput, translator: AnthropicStreamTranslator, body: Dispatcher.ResponseData['body']): Promise<ForwardOutcome> {
  const { res } = input;
  if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
  const splitter = new SseEventSplitter();
  const translate = (events: Buffer[]): string => {
    let out = '';
    for (const event of events) {
      const data = parseSseData(event);
      if (data !== null) out += translator.push(data);
    }
    return out;
  };
  let answered = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const out = translate(splitter.push(chunk));
      if (out !== '') {
        if (!answered) noteFirstAnswerByte(res);
        answered = true;
        if (!writeChunk(res, out)) await drained(res);
      }
      if (translator.ended || res.destroyed) break;
    }
  } catch (err) {
    if (input.client.gone) return 'client_gone';
    noteRequestError(res, 'upstream_disconnected');
    writeChunk(res, translate(splitter.flush()) + translator.fail(`the model server stopped in the middle of the response (${describeError(err)})`));
    res.end();
    return 'upstream_error';
  } finally {
    body.destroy();
  }
  if (input.client.gone) return 'client_gone';
  const rest = translate(splitter.flush()) + translator.end();
  if (translator.failed) noteRequestError(res, 'upstream_error');
  const usage = translator.usage;
  if (usage) noteRequestUsage(res, usage.input_tokens + usage.cache_read_input_tokens, usage.output_tokens);
  writeChunk(res, rest);
  res.end();
  return 'done';
}

async function relayJson(input: AnthropicForwardInput, body: Dispatcher.ResponseData['body']): Promise<ForwardOutcome> {
  const { res } = input;
  const text = await body.text();
  let answer: unknown;
  try {
    const json: unknown = JSON.parse(text);
    const usage = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
    noteRequestUsage(res, numberOrNull(usage?.prompt_tokens), numberOrNull(usage?.completion_tokens));
    answer = input.translateJson!(json);
  } catch (err) {
    const why = err instanceof UntranslatableAnswer ? err.message : `the model server's answer is not valid JSON (${describeError(err)})`;
    fail(res, 502, why, 'upstream_untranslatable');
    return 'upstream_error';
  }
  noteFirstAnswerByte(res);
  const out = JSON.stringify(answer);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
  return 'done';
}

function fail(res: ServerResponse, status: number, message: string, code: string): void {
  sendAnthropicError(res, status, openAiError(message, 'upstream_error', code));
}

/** Resolves when the client's socket has room again, or the response is gone. */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function readErrorText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (bytes < MAX_ERROR_TEXT_BYTES) chunks.push(chunk);
      bytes += chunk.length;
    }
  } catch {
    // what came is enough for the message
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_TEXT_BYTES);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ') || String(err);
}
