import { request } from 'undici';
import type { ApiError } from '../../shared/engine-state.js';
import { adminTokenOf } from '../engine/api/access/admin-token.js';
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
  /** The admin key once known: the connection's, else the one /api/session gave (null: it gave none). */
  private adminKey: Promise<string | null> | undefined;
  private askedSession = false;

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

  /** Sends with the admin key; a 401 for a key the user did not choose is retried once with the /api/session token. */
  private async send(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions) {
    const res = await this.sendOnce(method, path, body, options);
    if (res.statusCode !== 401 || !(await this.switchToSessionToken())) return res;
    // A 401 comes before any route runs, so sending again cannot do anything twice.
    await res.body.dump();
    return this.sendOnce(method, path, body, options);
  }

  private async sendOnce(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions) {
    const headers: Record<string, string> = { accept: method === 'GET' && path === '/api/events' ? 'text/event-stream' : 'application/json' };
    this.adminKey ??= this.connection.adminKey ? Promise.resolve(this.connection.adminKey) : this.sessionToken();
    const adminKey = await this.adminKey;
    if (adminKey) headers.authorization = `Bearer ${adminKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeouts = options.long ? { headersTimeout: 0, bodyTimeout: 0 } : {};
    return this.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: options.signal, ...timeouts });
  }

  /**
   * After a 401: a key from a token file (perhaps another engine's, with another state dir) gives
   * way to the token /api/session hands this user. True when there is a different key to try.
   */
  private async switchToSessionToken(): Promise<boolean> {
    if (this.connection.adminKeyIsExplicit || this.askedSession) return false;
    const before = await this.adminKey;
    this.adminKey = this.sessionToken();
    const after = await this.adminKey;
    return after !== null && after !== before;
  }

  /** The admin token the engine hands a loopback client of its own user; null for anyone else. */
  private sessionToken(): Promise<string | null> {
    this.askedSession = true;
    return this.request('/api/session', { method: 'GET', headers: { accept: 'application/json' } }).then(async (res) => {
      const text = await res.body.text();
      // Not 200: the call itself then gets the engine's 401 with its advice.
      return res.statusCode === 200 ? adminTokenOf(text) : null;
    });
  }

  private async request(path: string, init: NonNullable<Parameters<typeof request>[1]>) {
    try {
      return await request(this.url + path, init);
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
