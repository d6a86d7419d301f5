import { request } from 'undici';
import type { ApiError } from '../../shared/engine-state.js';
import type { EngineConnection } from './engine-connection.js';
import { readSseEvents, type SseEvent } from './sse-parser.js';

/** The engine did not answer at all (nothing listening, wrong host). */
export class EngineUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`no engine answering at ${url} — start it with "switchboard serve"`, { cause });
    this.name = 'EngineUnreachableError';
  }
}

/** The engine answered with `{ error }` (or something that is not the engine answered). */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    readonly apiError: ApiError,
  ) {
    super(apiError.message);
    this.name = 'EngineRequestError';
  }
}

interface CallOptions {
  /** For calls that last as long as a model load or a log follow: no undici timeouts. */
  long?: boolean;
  signal?: AbortSignal;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** A small typed client for the admin API that the CLI commands share. */
export class EngineClient {
  constructor(readonly connection: EngineConnection) {}

  get url(): string {
    return this.connection.url;
  }

  async getJson<T>(path: string, options: CallOptions = {}): Promise<T> {
    return this.call<T>('GET', path, undefined, options);
  }

  async postJson<T>(path: string, body: unknown = {}, options: CallOptions = {}): Promise<T> {
    return this.call<T>('POST', path, body, options);
  }

  /** Opens `/api/events`; iterate the result, abort `signal` to close it. */
  async openEvents(signal: AbortSignal): Promise<AsyncGenerator<SseEvent>> {
    const res = await this.send('GET', '/api/events', undefined, { long: true, signal });
    if (res.statusCode !== 200) throw toRequestError(res.statusCode, await res.body.text(), this.url);
    return readSseEvents(res.body);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions): Promise<T> {
    const res = await this.send(method, path, body, options);
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return JSON.parse(text) as T;
    throw toRequestError(res.statusCode, text, this.url);
  }

  private async send(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions) {
    const headers: Record<string, string> = { accept: method === 'GET' && path === '/api/events' ? 'text/event-stream' : 'application/json' };
    if (this.connection.apiKey) headers.authorization = `Bearer ${this.connection.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeouts = options.long ? { headersTimeout: 0, bodyTimeout: 0 } : {};
    try {
      return await request(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: options.signal, ...timeouts });
    } catch (err) {
      if (isUnreachable(err)) throw new EngineUnreachableError(this.url, err);
      throw err;
    }
  }
}

function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; errors?: Array<{ code?: string }>; cause?: { code?: string } };
  const codes = [e.code, e.cause?.code, ...(e.errors ?? []).map((x) => x.code)];
  return codes.some((code) => code !== undefined && UNREACHABLE_CODES.has(code));
}

function toRequestError(status: number, text: string, url: string): EngineRequestError {
  try {
    const parsed = JSON.parse(text) as { error?: ApiError };
    if (parsed.error && typeof parsed.error.message === 'string') return new EngineRequestError(status, parsed.error);
  } catch {
    // Not JSON: something other than the engine answered; reported below.
  }
  const message = `unexpected answer from ${url}: HTTP ${status}${text ? ` ${text.slice(0, 200)}` : ''} — is that a switchboard engine?`;
  return new EngineRequestError(status, { code: 'internal', message });
}
