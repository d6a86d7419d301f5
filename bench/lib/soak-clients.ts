// The soak's clients: the official `openai` package, streaming and non-streaming chat completions
// rotating between models, each request classified as ok or by why it failed.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { STATUS_OPEN } from '../../electron/engine/router/status-text.js';
import { sleep } from './soak-host.js';

export interface RequestResult {
  worker: number;
  model: string;
  stream: boolean;
  startMs: number;
  endMs: number;
  ok: boolean;
  /** Why it failed: "HTTP 502", "connection error", "error event in stream", "incomplete stream (…)", … */
  cause?: string;
  /** The error's message, for the examples in the report. */
  detail?: string;
  /** Cancelled by the soak itself (hard stop at the end): counted apart, neither ok nor failed. */
  cancelled?: boolean;
  /** Time to the first content delta from the model itself (the router's status lines do not count). */
  ttftMs?: number;
  /** Content deltas from the model received (streaming). */
  chunks: number;
  /** Status lines from the router (the request waited for a switch). */
  statusChunks: number;
}

export interface ClientOptions {
  baseURL: string;
  /** The model of a worker's i-th request. */
  pickModel: (worker: number, i: number) => string;
  /** Stop starting new requests once this returns true. */
  stopping: () => boolean;
  /** Aborts whatever is in flight (the end of the soak, Ctrl-C). */
  hardStop: AbortSignal;
  requestTimeoutMs: number;
  onStart: () => void;
  onResult: (result: RequestResult) => void;
}

/** Sees whether an SSE body carried `data: [DONE]` (the SDK ends a stream without it silently). */
interface DoneProbe {
  sawDone: boolean;
}

/** One client: its own OpenAI instance (no retries), one request at a time until `stopping()`. */
export async function runClient(worker: number, opts: ClientOptions): Promise<void> {
  const probe: { current: DoneProbe | null } = { current: null };
  const client = new OpenAI({ baseURL: `${opts.baseURL}/v1`, apiKey: 'soak', maxRetries: 0, timeout: opts.requestTimeoutMs, fetch: probingFetch(probe) });
  for (let i = 0; !opts.stopping() && !opts.hardStop.aborted; i++) {
    const model = opts.pickModel(worker, i);
    const stream = i % 4 !== 3;
    const maxTokens = 16 + ((i * 7 + worker * 13) % 48);
    const current: DoneProbe = { sawDone: false };
    probe.current = current;
    opts.onStart();
    const result = await runOne(client, { worker, model, stream, maxTokens, prompt: `soak worker ${worker} request ${i}: tell me about switching models` }, current, opts);
    opts.onResult(result);
    await sleep(50 + Math.floor(Math.random() * 250), opts.hardStop);
  }
}

interface RequestSpec {
  worker: number;
  model: string;
  stream: boolean;
  maxTokens: number;
  prompt: string;
}

async function runOne(client: OpenAI, spec: RequestSpec, probe: DoneProbe, opts: ClientOptions): Promise<RequestResult> {
  const startMs = Date.now();
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, opts.requestTimeoutMs);
  const onHardStop = () => ctl.abort();
  opts.hardStop.addEventListener('abort', onHardStop, { once: true });
  const base = { worker: spec.worker, model: spec.model, stream: spec.stream, startMs };
  let chunks = 0;
  let statusChunks = 0;
  let ttftMs: number | undefined;
  let phase: 'request' | 'stream' = 'request';
  const done = (fields: Partial<RequestResult> & { ok: boolean }): RequestResult => ({ ...base, endMs: Date.now(), chunks, statusChunks, ...(ttftMs === undefined ? {} : { ttftMs }), ...fields });
  try {
    const body = { model: spec.model, messages: [{ role: 'user' as const, content: spec.prompt }], max_tokens: spec.maxTokens };
    if (!spec.stream) {
      const completion = await client.chat.completions.create({ ...body, stream: false }, { signal: ctl.signal });
      if (ctl.signal.aborted) return done(aborted(timedOut));
      const choice = completion.choices?.[0];
      if (!choice || !choice.finish_reason) return done({ ok: false, cause: 'bad response (no choice/finish_reason)', detail: JSON.stringify(completion).slice(0, 200) });
      return done({ ok: true });
    }
    const stream = await client.chat.completions.create({ ...body, stream: true }, { signal: ctl.signal });
    phase = 'stream';
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices?.[0];
      const content = choice?.delta?.content;
      // The router's loading status: its own completion id, and the text inside invisible markers.
      if (chunk.id?.startsWith('chatcmpl-switchboard-') || content?.includes(STATUS_OPEN)) statusChunks++;
      else if (content) {
        chunks++;
        ttftMs ??= Date.now() - startMs;
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
    // The SDK returns quietly when its signal aborts mid-stream.
    if (ctl.signal.aborted) return done(aborted(timedOut));
    if (!probe.sawDone) return done({ ok: false, cause: 'incomplete stream (no [DONE])', detail: `finish_reason ${finishReason ?? 'none'}, ${chunks} content chunks` });
    if (!finishReason) return done({ ok: false, cause: 'incomplete stream (no finish_reason)', detail: `${chunks} content chunks` });
    return done({ ok: true });
  } catch (err) {
    if (ctl.signal.aborted) return done(aborted(timedOut));
    return done({ ok: false, ...classify(err, phase) });
  } finally {
    clearTimeout(timer);
    opts.hardStop.removeEventListener('abort', onHardStop);
  }
}

function aborted(timedOut: boolean): Partial<RequestResult> & { ok: boolean } {
  return timedOut ? { ok: false, cause: 'timeout', detail: 'no complete answer within the request timeout' } : { ok: false, cancelled: true, cause: 'cancelled at the end' };
}

/** The cause of a thrown error; `phase` tells whether the response had started streaming. */
export function classify(err: unknown, phase: 'request' | 'stream'): { cause: string; detail: string } {
  const detail = describeError(err);
  if (err instanceof APIConnectionTimeoutError) return { cause: 'timeout', detail };
  if (err instanceof APIUserAbortError) return { cause: 'aborted', detail };
  if (err instanceof APIConnectionError) return { cause: phase === 'stream' ? 'stream cut (connection error)' : 'connection error', detail };
  if (err instanceof APIError) {
    if (typeof err.status === 'number') return { cause: `HTTP ${err.status}`, detail };
    return { cause: 'error event in stream', detail };
  }
  if (err instanceof SyntaxError) return { cause: 'malformed event (bad JSON)', detail };
  if (phase === 'stream') return { cause: 'stream cut (connection error)', detail };
  return { cause: 'other error', detail };
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 300);
  const cause = (err as Error & { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? ` (cause: ${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message})` : '';
  return `${err.name}: ${err.message}${causeText}`.replace(/\s+/g, ' ').slice(0, 300);
}

/** fetch that notes `data: [DONE]` in event-stream bodies into `probe.current`, passing every byte on. */
function probingFetch(probe: { current: DoneProbe | null }): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const target = probe.current;
    if (!target || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
    const decoder = new TextDecoder();
    let tail = '';
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          const text = tail + decoder.decode(chunk, { stream: true });
          if (/data: ?\[DONE\]/.test(text)) target.sawDone = true;
          tail = text.slice(-16);
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
