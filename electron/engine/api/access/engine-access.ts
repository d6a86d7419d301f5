import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { RouterSettings } from '../../../../shared/catalog-schema.js';
import { findTcpPeerUid } from '../../../system/find-tcp-peer-uid.js';
import { bearerOf, matchesAnyKey } from '../is-authorized.js';
import { checkRequestAccess, isLoopbackHostHeader, type AccessRefusal, type AccessSettings, type RequestFacts, type Surface } from './access-policy.js';

export type { AccessRefusal, Surface } from './access-policy.js';

/** Who may do what on the router port; every route and the WebSocket ask this. */
export interface EngineAccess {
  /** The refusal for a foreign Host or a foreign web page on `surface` (403), or a non-JSON admin write (415); null to go on. */
  check(req: IncomingMessage, surface: Surface): AccessRefusal | null;
  /** True when the request carries `Authorization: Bearer <admin key or the admin token>`. */
  isAdmin(req: Pick<IncomingMessage, 'headers'>): boolean;
  /** True when `key` is an admin key or the admin token. */
  isAdminKey(key: string | undefined): boolean;
  /**
   * /v1 and /health: open when router.apiKeys is empty; else an inference key (or an admin key), as
   * `Authorization: Bearer <key>` or `x-api-key: <key>` (what Anthropic clients send).
   */
  isInferenceClient(req: Pick<IncomingMessage, 'headers'>): boolean;
  /**
   * The admin token when the request comes straight over loopback (a loopback Host name, no proxy
   * headers) from a process of this engine's user (or root); else null.
   */
  localUserToken(req: IncomingMessage): Promise<string | null>;
  /** CORS headers for a /v1 request (that passed `check`) whose Origin router.corsOrigins lists; {} otherwise. */
  corsHeaders(req: IncomingMessage): Record<string, string>;
}

export interface EngineAccessOptions {
  /** The catalog's router section, read per request: the catalog editor may change the lists live. */
  router: () => RouterSettings;
  /** The generated admin token (valid besides router.adminKeys). */
  adminToken: string;
  /** The address the router really binds (`serve --host` may differ from router.host). */
  bindHost?: string;
  /** Test seam: the uid of a loopback client (default: from /proc/net/tcp). */
  peerUid?: (socket: Socket) => Promise<number | null>;
}

/** How long the host's own addresses are reused before they are read again (DHCP may change them). */
const LOCAL_NAMES_TTL_MS = 30_000;

export function createEngineAccess(opts: EngineAccessOptions): EngineAccess {
  const peerUid = opts.peerUid ?? ((socket: Socket) => findTcpPeerUid(socket).catch(() => null));
  const ownUid = process.getuid?.() ?? -1;
  const localNames = cachedLocalNames();
  const settingsOf = (router: RouterSettings): AccessSettings => ({
    bindHost: opts.bindHost ?? router.host,
    allowedHosts: router.allowedHosts,
    allowedOrigins: router.allowedOrigins,
    corsOrigins: router.corsOrigins,
    localNames: isWildcard(opts.bindHost ?? router.host) ? localNames() : [],
  });
  const adminKeys = (): string[] => [...opts.router().adminKeys, opts.adminToken];
  const isAdminKey = (key: string | undefined): boolean => matchesAnyKey(key, adminKeys());

  return {
    check: (req, surface) => checkRequestAccess(factsOf(req), surface, settingsOf(opts.router())),
    isAdmin: (req) => isAdminKey(bearerOf(req)),
    isAdminKey,
    isInferenceClient(req) {
      const { apiKeys } = opts.router();
      if (apiKeys.length === 0) return true;
      // Both headers are checked (no early exit), so the time does not say which one held a key.
      const keys = [bearerOf(req), apiKeyHeaderOf(req)];
      return keys.map((key) => matchesAnyKey(key, apiKeys) || isAdminKey(key)).includes(true);
    },
    async localUserToken(req) {
      // A proxy on this machine (perhaps run by the same user) would pass every client it forwards
      // off as the local user: only a direct loopback request under a loopback name qualifies.
      if (isForwarded(req) || !isLoopbackHostHeader(req.headers.host)) return null;
      const uid = await peerUid(req.socket);
      return uid !== null && (uid === ownUid || uid === 0) ? opts.adminToken : null;
    },
    corsHeaders(req) {
      // Asked after check(): an origin that reaches here is a well-formed, allowed one.
      const origin = req.headers.origin;
      const { corsOrigins } = opts.router();
      if (origin === undefined || !(corsOrigins.includes('*') || corsOrigins.includes(origin))) return {};
      const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
      return headers;
    },
  };
}

/** The headers and port the policy reads. */
function factsOf(req: IncomingMessage): RequestFacts {
  return {
    method: req.method ?? 'GET',
    host: req.headers.host,
    origin: req.headers.origin,
    secFetchSite: headerValue(req.headers['sec-fetch-site']),
    contentType: req.headers['content-type'],
    localPort: req.socket.localPort ?? 0,
  };
}

/** Headers a reverse proxy adds for the client it forwards. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

function isForwarded(req: IncomingMessage): boolean {
  return FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined);
}

/** The key of an `x-api-key` header (Anthropic's SDK sends its apiKey so), if the request has one. */
function apiKeyHeaderOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  return headerValue(req.headers['x-api-key'])?.trim();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The host's interface addresses and its name, read at most every LOCAL_NAMES_TTL_MS. */
function cachedLocalNames(): () => string[] {
  let names: string[] = [];
  let readAtMs = -Infinity;
  return () => {
    if (Date.now() - readAtMs > LOCAL_NAMES_TTL_MS) {
      const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '')));
      names = [...addresses, hostname()];
      readAtMs = Date.now();
    }
    return names;
  };
}
