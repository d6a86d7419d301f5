// Closed-loop load: C workers, each sending streaming chat requests back to back over an undici Pool.
import { Pool } from 'undici';
import { SseCounter } from './sse-counter.js';

export interface StreamSpec {
  model: string;
  maxTokens: number;
}

export interface RoundResult {
  wallMs: number;
  requests: number;
  /** SSE `data:` events received, failed streams included. */
  events: number;
  /** TTFT (ms) of the streams that succeeded. */
  ttftMs: number[];
  errors: number;
  /** Error message → count. */
  errorKinds: Record<string, number>;
}

const PROMPT = 'Write a short story about a telephone switchboard operator in 1920s Chicago.';

/** A keep-alive pool with a connection per stream, no timeouts (streams are long at 50 tok/s). */
export function createPool(url: string): Pool {
  return new Pool(url, { connections: 1024, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
}

export function requestBody(spec: StreamSpec): string {
  return JSON.stringify({ model: spec.model, messages: [{ role: 'user', content: PROMPT }], stream: true, max_tokens: spec.maxTokens, ignore_eos: true });
}

/**
 * Every stream must end with `[DONE]` after exactly role + max_tokens content + finish + [DONE] events,
 * or it counts as an error.
 */
export function expectedEvents(spec: StreamSpec): number {
  return spec.maxTokens + 3;
}

export async function runRound(pool: Pool, spec: StreamSpec, concurrency: number, perWorker: number): Promise<RoundResult> {
  const body = requestBody(spec);
  const expected = expectedEvents(spec);
  const result: RoundResult = { wallMs: 0, requests: 0, events: 0, ttftMs: [], errors: 0, errorKinds: {} };
  const worker = async (): Promise<void> => {
    for (let i = 0; i < perWorker; i++) record(result, await oneStream(pool, body, expected));
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.wallMs = performance.now() - start;
  return result;
}

interface StreamOutcome {
  events: number;
  ttftMs: number | null;
  error: string | null;
}

function record(result: RoundResult, outcome: StreamOutcome): void {
  result.requests++;
  result.events += outcome.events;
  if (outcome.error === null) {
    result.ttftMs.push(outcome.ttftMs!);
    return;
  }
  result.errors++;
  result.errorKinds[outcome.error] = (result.errorKinds[outcome.error] ?? 0) + 1;
}

function oneStream(pool: Pool, body: string, expected: number): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const counter = new SseCounter(performance.now());
    let status = 0;
    pool.dispatch(
      { path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body },
      {
        // Its presence marks the handler as undici's v7 controller API.
        onRequestStart: () => undefined,
        onResponseStart: (_controller, statusCode) => void (status = statusCode),
        onResponseData: (_controller, chunk) => counter.push(chunk),
        onResponseEnd: () => resolve({ events: counter.events, ttftMs: counter.firstContentMs, error: verdict(counter, status, expected) }),
        onResponseError: (_controller, err) => resolve({ events: counter.events, ttftMs: null, error: `transport: ${err.message}` }),
      },
    );
  });
}

function verdict(counter: SseCounter, status: number, expected: number): string | null {
  if (status !== 200) return `HTTP ${status}`;
  if (counter.errorEvent !== null) return `error event: ${counter.errorEvent.slice(0, 120)}`;
  if (!counter.done) return 'no [DONE]';
  if (counter.firstContentMs === null) return 'no content event';
  if (counter.events !== expected) return `${counter.events} events, expected ${expected}`;
  return null;
}
