import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { WebSocket } from 'ws';
import type { ApiError } from '../../shared/engine-state.js';
import { ApiCallError, type ApiEvent, type ApiHandlers, type ApiTransport } from '../../shared/switchboard-api.js';
import { createRemoteHandlers } from '../../shared/transports/remote-handlers.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { adminTokenOf } from '../engine/api/access/admin-token.js';
import { resolveConnection, type ConnectionFlags, type EngineConnection } from './engine-connection.js';

/**
 * A CLI command's line to the engine: the contract (shared/switchboard-api.ts) over the engine's
 * /api/ws, with the same transport the renderer uses. One connection per command, never reconnected.
 */
export interface EngineSession {
  /** The engine's http(s) base URL. */
  readonly url: string;
  /** Every method of the contract; failures are ApiCallErrors (code + message). */
  readonly api: ApiHandlers;
  /** Engine events one by one, in order; returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** Resolves when the engine drops the connection (it stopped, or went away); not after close(). */
  readonly dropped: Promise<void>;
  /** False once the connection dropped or was closed. */
  isOpen(): boolean;
  close(): void;
}

/** The WebSocket handshake: a silent host is given up after this (undici's connect timeout). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Of a refused handshake's answer, this much is read for its `{ error }`, for at most this long. */
const MAX_REFUSAL_BYTES = 64 * 1024;
const REFUSAL_READ_MS = 5_000;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT']);

/**
 * Connects with `flags` (--url, --config, --admin-key, --state-dir), runs `command` and closes the
 * connection whatever happens, so the process can exit as soon as the command is done.
 */
export async function withEngine<T>(flags: ConnectionFlags, command: (engine: EngineSession) => Promise<T>): Promise<T> {
  const engine = await openEngineSession(await resolveConnection(flags));
  try {
    return await command(engine);
  } finally {
    engine.close();
  }
}

/**
 * Opens the WebSocket with the connection's admin key, else the token the engine's /api/session
 * hands this user (a loopback client of the engine's own user). A refused key from a token file
 * (perhaps another engine's, with another state dir) gives way to that token once; a key the user
 * chose (--admin-key, the environment, the catalog) does not. Throws an ApiCallError: `unavailable`
 * when nothing answers, else the engine's refusal (`unauthorized` with its advice, …).
 */
export async function openEngineSession(connection: EngineConnection): Promise<EngineSession> {
  const wsUrl = webSocketUrlOf(connection.url);
  const key = connection.adminKey ?? (await sessionToken(connection.url)) ?? undefined;
  let attempt = await connect(connection.url, wsUrl, key);
  if (!attempt.ok && attempt.status === 401 && connection.adminKey !== undefined && !connection.adminKeyIsExplicit) {
    const fromSession = await sessionToken(connection.url);
    if (fromSession !== null && fromSession !== key) attempt = await connect(connection.url, wsUrl, fromSession);
  }
  if (!attempt.ok) throw attempt.error;
  return attempt.session;
}

/** `http://host:port[/prefix]` → `ws://host:port[/prefix]/api/ws` (https → wss). */
function webSocketUrlOf(url: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`"${url}" is not an engine address; give one like http://127.0.0.1:8002`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`the engine's address must start with http:// or https://, got "${url}"`);
  return `${url.replace(/^http/, 'ws')}/api/ws`;
}

/**
 * The admin token the engine hands a loopback client of its own user; null for anyone else, or no
 * answer. node:http without keep-alive, not undici, whose timers would hold the process ~1 s at exit.
 */
function sessionToken(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(`${url}/api/session`, { headers: { accept: 'application/json' }, agent: false, timeout: HANDSHAKE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Not 200: the handshake then gets the engine's 401 with its advice.
      res.on('end', () => resolve(res.statusCode === 200 ? adminTokenOf(Buffer.concat(chunks).toString('utf8')) : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    // Nothing answering: the handshake says so.
    req.on('error', () => resolve(null));
  });
}

type Attempt = { ok: true; session: EngineSession } | { ok: false; status: number | null; error: ApiCallError };

/** What ended a handshake, as the socket below saw it (the transport only learns that it closed). */
type HandshakeFailure = { kind: 'answer'; status: number; text: string } | { kind: 'error'; error: Error };

/** One transport, up to its first 'open' or 'closed'; a failed one is closed (no reconnects). */
function connect(url: string, wsUrl: string, adminKey: string | undefined): Promise<Attempt> {
  let failure: HandshakeFailure | undefined;
  const transport = createWebSocketTransport({
    url: wsUrl,
    adminKey: () => adminKey,
    WebSocketImpl: recordingWebSocket((seen) => (failure ??= seen)),
  });
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const stopListening = transport.onConnection!((state) => {
      if (settled || state === 'connecting') return;
      settled = true;
      // Later: onConnection reports the current state at once, before it has returned stopListening.
      queueMicrotask(() => stopListening());
      if (state === 'open') return resolve({ ok: true, session: sessionOver(url, transport) });
      transport.close!();
      resolve({ ok: false, status: failure?.kind === 'answer' ? failure.status : null, error: handshakeError(url, failure) });
    });
  });
}

/** The refusal or the network error behind a failed handshake, as the CLI reports it. */
function handshakeError(url: string, failure: HandshakeFailure | undefined): ApiCallError {
  if (failure?.kind === 'answer') {
    const error = apiErrorOf(failure.text);
    if (error) return new ApiCallError(error);
    const text = failure.text.trim();
    return new ApiCallError({ code: 'internal', message: `unexpected answer from ${url}: HTTP ${failure.status}${text ? ` ${text.slice(0, 200)}` : ''} — is that a switchboard engine?` });
  }
  if (failure === undefined || isUnreachable(failure.error)) {
    return new ApiCallError({ code: 'unavailable', message: `no engine answering at ${url} — start it with "switchboard serve"` });
  }
  return new ApiCallError({ code: 'unavailable', message: `cannot connect to the engine at ${url}: ${failure.error.message}` });
}

function apiErrorOf(text: string): ApiError | null {
  try {
    const parsed = JSON.parse(text) as { error?: ApiError } | null;
    return parsed?.error && typeof parsed.error.message === 'string' && typeof parsed.error.code === 'string' ? parsed.error : null;
  } catch {
    // Not JSON: something other than the engine answered.
    return null;
  }
}

function isUnreachable(err: Error): boolean {
  if (/handshake has timed out/i.test(err.message)) return true;
  const e = err as { code?: string; errors?: Array<{ code?: string }>; cause?: { code?: string } };
  const codes = [e.code, e.cause?.code, ...(e.errors ?? []).map((x) => x.code)];
  return codes.some((code) => code !== undefined && UNREACHABLE_CODES.has(code));
}

/**
 * The `ws` WebSocket with a handshake timeout, reporting why a handshake failed: the HTTP answer
 * of a refused one (the engine's 401/403 carry `{ error }` with advice) or the network error.
 */
function recordingWebSocket(record: (failure: HandshakeFailure) => void): typeof globalThis.WebSocket {
  class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols: string[]) {
      super(address, protocols, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
      // With a listener here, ws leaves the refused handshake to us: read the answer, then end it.
      this.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          record({ kind: 'answer', status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          this.terminate();
        };
        const timer = setTimeout(finish, REFUSAL_READ_MS);
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_REFUSAL_BYTES) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
      });
      this.on('error', (error: Error) => record({ kind: 'error', error }));
    }
  }
  return RecordingWebSocket as unknown as typeof globalThis.WebSocket;
}

/** The open transport as an EngineSession; a drop ends it for good (a command runs on one connection). */
function sessionOver(url: string, transport: ApiTransport): EngineSession {
  let open = true;
  let markDropped!: () => void;
  const dropped = new Promise<void>((resolve) => (markDropped = resolve));
  transport.onConnection!((state) => {
    if (state !== 'closed' || !open) return;
    open = false;
    transport.close!();
    markDropped();
  });
  return {
    url,
    api: createRemoteHandlers(transport),
    subscribe: (listener) => transport.subscribe((events) => events.forEach(listener)),
    dropped,
    isOpen: () => open,
    close() {
      open = false;
      transport.close!();
    },
  };
}
