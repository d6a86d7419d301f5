import { request } from 'undici';
import { formatHost } from './probe-health.js';

/**
 * SGLang's GET info routes under their current names. SGLang 0.5.6 (PR #13273, "Remove verbs from GET
 * endpoint paths", python/sglang/srt/entrypoints/http_server.py) renamed `/get_model_info` → `/model_info`
 * and `/get_server_info` → `/server_info`, keeping the `/get_*` names as aliases that return the same JSON
 * but log a deprecation warning on every call; 0.5.3.post1 has only the `/get_*` names (404 on the new ones).
 * SGLang's own clients moved to the new names (the server's warmup polls `/model_info`; the model gateway
 * proxies `/model_info` upstream, PR #24167), so the new name goes first: a current server answers at once
 * without a warning line, an old one costs one 404, remembered per server. See
 * test/fakes/sglang-sim/README.md, "Info route names".
 */
export type SglangInfoRoute = '/model_info' | '/server_info';

const LEGACY: Record<SglangInfoRoute, string> = { '/model_info': '/get_model_info', '/server_info': '/get_server_info' };

/** The final answer: the path that produced it, its status and body (the legacy path's 404 when neither exists). */
export interface SglangInfoAnswer {
  path: string;
  statusCode: number;
  body: string;
}

type Naming = 'current' | 'legacy';

/**
 * Fetches SGLang info routes, newest name first with a fallback to the `/get_*` name on 404, and remembers
 * per server (host:port) which naming worked so later calls go straight to it. Network errors and timeouts
 * propagate as undici throws them; any status other than 404 is returned as is (no fallback on 503 etc.).
 */
export class SglangInfoClient {
  private readonly naming = new Map<string, Naming>();

  constructor(private readonly timeoutMs: number) {}

  async get(host: string, port: number, route: SglangInfoRoute, headers: Record<string, string> = {}): Promise<SglangInfoAnswer> {
    const key = `${formatHost(host)}:${port}`;
    const first: Naming = this.naming.get(key) ?? 'current';
    const firstAnswer = await this.fetch(host, port, first === 'current' ? route : LEGACY[route], headers);
    if (firstAnswer.statusCode !== 404) {
      this.naming.set(key, first);
      return firstAnswer;
    }
    // 404 under the remembered (or default) naming: the other one, e.g. an older release after a relaunch on this port.
    const other: Naming = first === 'current' ? 'legacy' : 'current';
    const otherAnswer = await this.fetch(host, port, other === 'current' ? route : LEGACY[route], headers);
    if (otherAnswer.statusCode !== 404) {
      this.naming.set(key, other);
      return otherAnswer;
    }
    this.naming.delete(key);
    return other === 'legacy' ? otherAnswer : firstAnswer;
  }

  /** Which naming this client uses for host:port, if it has learnt one. */
  namingOf(host: string, port: number): Naming | undefined {
    return this.naming.get(`${formatHost(host)}:${port}`);
  }

  /** Forgets what was learnt about host:port (a relaunch there may run another SGLang release). */
  forget(host: string, port: number): void {
    this.naming.delete(`${formatHost(host)}:${port}`);
  }

  private async fetch(host: string, port: number, path: string, headers: Record<string, string>): Promise<SglangInfoAnswer> {
    const res = await request(`http://${formatHost(host)}:${port}${path}`, {
      method: 'GET',
      headers,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    return { path, statusCode: res.statusCode, body: await res.body.text() };
  }
}
