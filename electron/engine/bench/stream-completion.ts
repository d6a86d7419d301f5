// One streamed `/v1/completions` request, timed token by token on arrival.

import { request } from 'undici';
import { parseSseData, SseEventSplitter } from '../router/sse-event-splitter.js';

/** A stall longer than this between chunks ends the run as failed. */
const CHUNK_TIMEOUT_MS = 120_000;

/** The monotonic, sub-millisecond clock the stream is timed with (not the wall clock: see `now`). */
export const monotonicMs = (): number => performance.now();

/** Instants on the `now` clock (monotonic by default): only their differences mean anything. */
export interface CompletionTiming {
  sentAtMs: number;
  /** Arrival of the first chunk with text; null when none came. */
  firstTokenAtMs: number | null;
  lastTokenAtMs: number | null;
  /** The server's completion_tokens when it sent usage, else the chunks that carried text. */
  tokens: number;
}

export interface StreamCompletionInput {
  baseUrl: string;
  model: string;
  prompt: string;
  maxTokens: number;
  /**
   * The clock the instants are read from, in ms; default `performance.now()`. Monotonic and finer than a
   * millisecond: with Date.now() a wall-clock step skewed the durations, and a burst of tokens read within
   * one millisecond (a busy machine) timed as no time at all.
   */
  now?: () => number;
}

/** Streams a completion that cannot stop early (`ignore_eos`) and times it. Throws on an HTTP or stream error. */
export async function streamCompletion(input: StreamCompletionInput): Promise<CompletionTiming> {
  const now = input.now ?? monotonicMs;
  const body = {
    model: input.model,
    prompt: input.prompt,
    max_tokens: input.maxTokens,
    temperature: 0,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  };
  const timing: CompletionTiming = { sentAtMs: now(), firstTokenAtMs: null, lastTokenAtMs: null, tokens: 0 };
  const res = await request(`${input.baseUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    headersTimeout: CHUNK_TIMEOUT_MS,
    bodyTimeout: CHUNK_TIMEOUT_MS,
  });
  if (res.statusCode !== 200) throw new Error(`the model server answered HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
  let chunks = 0;
  let usageTokens: number | null = null;
  const splitter = new SseEventSplitter();
  for await (const piece of res.body) {
    for (const event of splitter.push(piece as Buffer)) {
      const data = parseSseData(event);
      if (data === null || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as CompletionChunk;
      if (chunk.error) throw new Error(`the model server failed mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
      if (chunk.usage?.completion_tokens !== undefined) usageTokens = chunk.usage.completion_tokens;
      if (!chunk.choices?.some((c) => c.text)) continue;
      chunks++;
      const atMs = now();
      timing.firstTokenAtMs ??= atMs;
      timing.lastTokenAtMs = atMs;
    }
  }
  timing.tokens = usageTokens ?? chunks;
  return timing;
}

interface CompletionChunk {
  choices?: { text?: string }[];
  usage?: { completion_tokens?: number } | null;
  error?: { message?: string };
}
