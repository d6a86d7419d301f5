// Which browser pages and Host names may reach which part of the router port. Pure: the facts of a
// request and the catalog's lists in, a refusal or null out (table-tested in access-policy.test.ts).

/**
 * The parts of the router port: `admin` is `/health`, `/api/*` and the WebSocket `/api/ws` (it
 * steers the host); `ui` is the static UI at `/ui/`; `inference` is the OpenAI-compatible `/v1/*`.
 */
export type Surface = 'admin' | 'ui' | 'inference';

/** The catalog's access lists (router.*) and what the host is reachable by. */
export interface AccessSettings {
  /** router.host, the address the router binds. */
  bindHost: string;
  /** router.allowedHosts: more names the admin API and the UI answer under. */
  allowedHosts: readonly string[];
  /** router.allowedOrigins: browser origins besides the UI's own that may use the admin API. */
  allowedOrigins: readonly string[];
  /** router.corsOrigins: origins that may call /v1 from a browser ('*' = any). */
  corsOrigins: readonly string[];
  /** The host's own addresses and name, allowed as Host when the router binds a wildcard address. */
  localNames: readonly string[];
}

/** What the policy reads of a request (header values as received). */
export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  contentType: string | undefined;
  /** The port the request came in on: the UI's own origins are on it. */
  localPort: number;
}

/** Why a request is refused, as the answer to send. */
export interface AccessRefusal {
  status: 403 | 415;
  code: 'forbidden' | 'unsupported_media_type';
  message: string;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);
/** Sec-Fetch-Site values of requests no other site started (the page itself, or the user typing a URL). */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * Checks, in order: the Host name (admin and UI: DNS rebinding), the browser origin (admin and
 * inference: a page of another site), and for state-changing admin requests a JSON body (a form or
 * a no-cors fetch cannot send one). Requests without Origin or Sec-Fetch-Site (curl, scripts, the
 * CLI, Open WebUI's server) pass the origin check; keys are checked after this, by the routes.
 */
export function checkRequestAccess(facts: RequestFacts, surface: Surface, settings: AccessSettings): AccessRefusal | null {
  if (surface !== 'inference' && !isAllowedHost(facts.host, settings)) {
    return forbidden(
      `Host "${facts.host}" is not a name this engine is reachable by, so the request may come from a web page using DNS rebinding; ` +
        'if you reach Switchboard under that name, add it to router.allowedHosts',
    );
  }
  if (surface === 'ui') return null;
  const originRefusal = checkOrigin(facts, surface, settings);
  if (originRefusal) return originRefusal;
  if (surface === 'admin' && STATE_CHANGING.has(facts.method.toUpperCase()) && !isJsonType(facts.contentType)) {
    return {
      status: 415,
      code: 'unsupported_media_type',
      message: `${facts.method} on the admin API needs "Content-Type: application/json" (got ${facts.contentType ? `"${facts.contentType}"` : 'none'}); send {} for no fields`,
    };
  }
  return null;
}

/** True when the Host header names this engine: loopback, the bind address, router.allowedHosts, or the host's own names on a wildcard bind. */
export function isAllowedHost(hostHeader: string | undefined, settings: AccessSettings): boolean {
  // HTTP/1.0 clients may send none; every browser does, so a rebinding page cannot leave it out.
  if (hostHeader === undefined || hostHeader === '') return true;
  const name = hostNameOf(hostHeader);
  if (name === null) return false;
  if (isLoopbackName(name)) return true;
  const bind = normalizeName(settings.bindHost);
  if (WILDCARD_BINDS.has(settings.bindHost)) {
    if (settings.localNames.some((n) => normalizeName(n) === name)) return true;
  } else if (bind === name) {
    return true;
  }
  return settings.allowedHosts.some((n) => normalizeName(n) === name);
}

/**
 * True when a page of `origin` may call `surface`: the UI's own origins on the request's port
 * (127.0.0.1, localhost, [::1], the bind address), the origin the Host header names when that
 * Host is allowed (the UI reached through a tunnel or an allowed name), router.allowedOrigins, and
 * for `inference` router.corsOrigins.
 */
export function isAllowedOrigin(origin: string, facts: RequestFacts, surface: Surface, settings: AccessSettings): boolean {
  const page = parseOrigin(origin);
  if (!page) return false;
  if (surface === 'inference' && settings.corsOrigins.includes('*')) return true;
  const own = ['127.0.0.1', 'localhost', '[::1]', ...(WILDCARD_BINDS.has(settings.bindHost) ? [] : [bracketed(settings.bindHost)])];
  const candidates = [...own.map((h) => `http://${h}:${facts.localPort}`), ...settings.allowedOrigins, ...(surface === 'inference' ? settings.corsOrigins : [])];
  if (candidates.some((c) => parseOrigin(c)?.origin === page.origin)) return true;
  // Same origin as the page the engine served: only meaningful once the Host itself is trusted.
  return facts.host !== undefined && isAllowedHost(facts.host, settings) && page.host === hostAsUrlHost(page.protocol, facts.host);
}

/** The Host header as URL would print it for `protocol`, so ":80" on http compares equal to nothing. */
function hostAsUrlHost(protocol: string, hostHeader: string): string | null {
  try {
    return new URL(`${protocol}//${hostHeader.trim()}`).host;
  } catch {
    return null;
  }
}

function checkOrigin(facts: RequestFacts, surface: Surface, settings: AccessSettings): AccessRefusal | null {
  const where = surface === 'admin' ? 'the admin API' : 'the router';
  if (facts.origin !== undefined) {
    if (isAllowedOrigin(facts.origin, facts, surface, settings)) return null;
    const setting = surface === 'admin' ? 'router.allowedOrigins' : 'router.corsOrigins';
    return forbidden(`a web page of origin ${facts.origin} may not use ${where}; only the Switchboard UI may (or origins listed in ${setting})`);
  }
  // No Origin: a GET or HEAD another site's page made (an image, a script tag, a link). Browsers
  // that predate Sec-Fetch-Site send Origin on every request that can change state.
  if (facts.secFetchSite !== undefined && !OWN_FETCH_SITES.has(facts.secFetchSite.toLowerCase())) {
    return forbidden(`a request another site's page made (Sec-Fetch-Site: ${facts.secFetchSite}) may not use ${where}`);
  }
  return null;
}

function forbidden(message: string): AccessRefusal {
  return { status: 403, code: 'forbidden', message };
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function parseOrigin(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null; // "null" (sandboxed frames, file://) or garbage
  }
}

/** The name part of a Host header (`[::1]:8002` → `::1`, `Example.LAN.:80` → `example.lan`); null when malformed. */
function hostNameOf(hostHeader: string): string | null {
  const text = hostHeader.trim();
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return normalizeName(bracketed[1]!);
  const plain = /^([^:[\]\s/@]+)(?::\d+)?$/.exec(text);
  return plain ? normalizeName(plain[1]!) : null;
}

function normalizeName(name: string): string {
  let lower = name
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (lower.endsWith('.')) lower = lower.slice(0, -1);
  if (lower.startsWith('::ffff:') && lower.includes('.')) lower = lower.slice(7);
  return lower;
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** True for a bind address or host name only this machine reaches: localhost, 127.0.0.0/8, ::1 (bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(normalizeName(host));
}

/** True for a Host header naming loopback, with any port (or no Host at all, as an HTTP/1.0 client sends). */
export function isLoopbackHostHeader(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const name = hostNameOf(hostHeader);
  return name !== null && isLoopbackName(name);
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
