import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * True when no keys are configured or the request carries `Authorization: Bearer <one of keys>`.
 * Keys are compared as SHA-256 digests so timingSafeEqual sees equal lengths and leaks no length.
 */
export function isAuthorized(req: IncomingMessage, apiKeys: readonly string[]): boolean {
  if (apiKeys.length === 0) return true;
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  const offered = digest(match[1].trim());
  let ok = false;
  // Checks every key (no early exit) so the time does not say which position matched.
  for (const key of apiKeys) ok = timingSafeEqual(offered, digest(key)) || ok;
  return ok;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
