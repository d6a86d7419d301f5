import { request } from 'undici';

/**
 * What one `/health` probe saw: nothing listening, HTTP up but warming up (503), ready (200), no
 * answer within the timeout (a busy or hung server), or another failure (reset, other status).
 */
export type HealthProbe = 'refused' | 'starting' | 'ready' | 'timeout' | 'error';

/**
 * Probes SGLang's readiness signal. `/get_model_info` (`/model_info` from 0.5.6) and `/v1/models` answer before warmup ends,
 * so only `/health` 200 means ready (reference §1).
 */
export async function probeHealth(host: string, port: number, timeoutMs: number): Promise<HealthProbe> {
  try {
    const res = await request(`http://${formatHost(host)}:${port}/health`, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode === 200) return 'ready';
    if (res.statusCode === 503) return 'starting';
    return 'error';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
    return code === 'ECONNREFUSED' ? 'refused' : 'error';
  }
}

/** Formats a bind address for a URL; 0.0.0.0 / :: mean "all interfaces", so probe loopback. */
export function formatHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
