import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * True when no keys are configured or the request carries `Authorization: Bearer <one of keys>`.
 */
export function isAuthorized(req: IncomingMessage, apiKeys: readonly string[]): boolean {
  if (apiKeys.length === 0) return true;
  return matchesAnyKey(bearerOf(req), apiKeys);
}

/** The key of an `Authorization: Bearer <key>` header, if the request has one. */
export function bearerOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match ? match[1]!.trim() : undefined;
}

/**
 * True when `offered` is one of `keys`. Keys are compared as SHA-256 digests so timingSafeEqual
 * sees equal lengths and leaks no length, and every key is checked (no early exit) so the time does
 * not say which position matched.
 */
export function matchesAnyKey(offered: string | undefined, keys: readonly string[]): boolean {
  if (offered === undefined || offered === '') return false;
  const digestOffered = digest(offered);
  let ok = false;
  for (const key of keys) ok = timingSafeEqual(digestOffered, digest(key)) || ok;
  return ok;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
