// The router's request log: one record per request to a router route (/v1/*), as the engine keeps
// it (in memory and in `<stateDir>/requests.jsonl`) and as `requests.list`, `GET /api/requests`,
// `switchboard requests` and the Requests screen show it.

/** One finished router request. */
export interface RequestRecord {
  /** Wall-clock time the request reached its route (ms since the epoch). */
  atMs: number;
  /** The client's address (the TCP peer: a proxy in front shows as the proxy); null when unknown. */
  client: string | null;
  /** The route as a template, e.g. `/v1/chat/completions`, `/v1/models/{model}`. */
  route: string;
  /** The catalog id the request was resolved to (aliases resolved); null when it was not (unknown model, bad JSON, /v1/models). */
  model: string | null;
  /** Whether the client asked for a stream; null for routes without one (/v1/models) or a body that was never read. */
  stream: boolean | null;
  /** The HTTP status sent; 499 when the client went away before the response was complete. */
  status: number;
  /**
   * Why it failed, as a code: the router's (`model_not_found`, `model_pinned`, `ready_timeout`,
   * `upstream_unreachable`, …), a load failure's cause (`oom`, `exited`, …; a stream's status is 200 then),
   * `upstream_status` (the model server answered an error, passed through), `client_gone`; null on success.
   */
  error: string | null;
  /** Time spent waiting for the model (a switch or a load); 0 when it was serving; null when no model was waited for. */
  waitedMs: number | null;
  /** From the route match to the first byte of the model's answer written to the client; null when none was. */
  ttftMs: number | null;
  /** From the route match to the response's close. */
  durationMs: number;
  /** From the model's `usage` (a stream has it only with `stream_options.include_usage`); null when not reported. */
  promptTokens: number | null;
  completionTokens: number | null;
}

/** A status filter: one code (`404`) or a class (`2xx` … `5xx`). */
export type RequestStatusFilter = string;

/** Which records `requests.list` returns (all given conditions must hold), newest first. */
export interface RequestLogFilter {
  /** A catalog id (aliases are resolved by the engine). */
  model?: string;
  /** `2xx`, `4xx`, `5xx` … or one code such as `404`. */
  status?: RequestStatusFilter;
  /** Records at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Records before this time. */
  untilMs?: number;
  /** The client's address, exactly. */
  client?: string;
  /** At most this many (default 100). */
  limit?: number;
}

export const DEFAULT_REQUEST_LIMIT = 100;
export const MAX_REQUEST_LIMIT = 10_000;
/** A valid status filter. */
export const REQUEST_STATUS_PATTERN = /^[1-5](?:xx|[0-9]{2})$/;

/** True when `record` passes `filter` (limit aside). */
export function matchesRequestFilter(record: RequestRecord, filter: RequestLogFilter): boolean {
  if (filter.model !== undefined && record.model !== filter.model) return false;
  if (filter.client !== undefined && record.client !== filter.client) return false;
  if (filter.sinceMs !== undefined && record.atMs < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && record.atMs >= filter.untilMs) return false;
  if (filter.status !== undefined) {
    const wanted = filter.status;
    if (wanted.endsWith('xx') ? Math.floor(record.status / 100) !== Number(wanted[0]) : record.status !== Number(wanted)) return false;
  }
  return true;
}

/**
 * Output tokens per second of decoding: completion tokens over the time after the first token
 * (duration − TTFT); null without tokens, TTFT, or a measurable time.
 */
export function decodeTokensPerSecond(record: Pick<RequestRecord, 'completionTokens' | 'ttftMs' | 'durationMs'>): number | null {
  if (record.completionTokens === null || record.ttftMs === null) return null;
  const seconds = (record.durationMs - record.ttftMs) / 1000;
  if (!(seconds > 0) || record.completionTokens <= 0) return null;
  return record.completionTokens / seconds;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time: ms since the epoch (`1733540000000`), or an age before `nowMs` (`90s`, `10m`, `2h`, `1d`);
 * null when `text` is neither. The CLI's `--since` and `GET /api/requests?since=` read it.
 */
export function parseTimeOrAge(text: string, nowMs: number): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const age = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (!age) return null;
  return nowMs - Number(age[1]) * UNIT_MS[age[2]!]!;
}
