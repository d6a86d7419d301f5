import { EngineError } from '../../../shared/engine-error.js';
import { MAX_REQUEST_LIMIT, parseTimeOrAge, REQUEST_STATUS_PATTERN, type RequestLogFilter } from '../../../shared/request-log.js';

/**
 * `GET /api/requests?model=&status=&since=&until=&client=&limit=` as a filter; bad values are a
 * `bad_request` naming the parameter.
 */
export function parseRequestFilter(query: URLSearchParams, nowMs = Date.now()): RequestLogFilter {
  const filter: RequestLogFilter = {};
  const model = query.get('model');
  if (model) filter.model = model;
  const client = query.get('client');
  if (client) filter.client = client;
  const status = query.get('status');
  if (status) {
    if (!REQUEST_STATUS_PATTERN.test(status)) throw new EngineError('bad_request', `"status" must be a status class (2xx … 5xx) or a code (404), got "${status}"`);
    filter.status = status;
  }
  for (const name of ['since', 'until'] as const) {
    const raw = query.get(name);
    if (!raw) continue;
    const at = parseTimeOrAge(raw, nowMs);
    if (at === null) throw new EngineError('bad_request', `"${name}" must be ms since the epoch or an age such as 10m, 2h, 1d; got "${raw}"`);
    filter[name === 'since' ? 'sinceMs' : 'untilMs'] = at;
  }
  const limit = query.get('limit');
  if (limit) {
    const n = /^\d+$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= MAX_REQUEST_LIMIT)) throw new EngineError('bad_request', `"limit" must be a whole number from 1 to ${MAX_REQUEST_LIMIT}, got "${limit}"`);
    filter.limit = n;
  }
  return filter;
}
