import { parseArgs } from 'node:util';
import { decodeTokensPerSecond, MAX_REQUEST_LIMIT, parseTimeOrAge, REQUEST_STATUS_PATTERN, type RequestLogFilter, type RequestRecord } from '../../shared/request-log.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine } from './engine-session.js';
import { formatTable } from './format-table.js';
import { parseOrUsage, UsageError } from './usage-error.js';

const USAGE = `usage: switchboard requests [--model M] [--status S] [--since T] [--client ADDR] [-n N] [--json] [options]

Prints the router's request log, newest first: time, client, model, route, stream, status (and
error), time waited for a switch, time to first token, duration, tokens in/out and tok/s.

  --model M        only requests for this model (id or alias)
  --status S       only this status class (2xx, 4xx, 5xx) or code (404)
  --since T        only requests since an age (90s, 10m, 2h, 1d) or a time in ms since the epoch
  --client ADDR    only requests from this client address
  -n, --limit N    at most N requests (default 50, at most ${MAX_REQUEST_LIMIT})
  --json           print the records as JSON (one array)
${CONNECTION_USAGE}`;

const DEFAULT_LIMIT = 50;

export async function runRequests(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () =>
    parseArgs({
      args,
      options: {
        ...CONNECTION_OPTIONS,
        model: { type: 'string' },
        status: { type: 'string' },
        since: { type: 'string' },
        client: { type: 'string' },
        limit: { type: 'string', short: 'n' },
        json: { type: 'boolean' },
      },
      strict: true,
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const filter = filterOf(values);
  return withEngine(values, async (engine) => {
    const records = await engine.api['requests.list'](filter);
    if (values.json) console.log(JSON.stringify(records, null, 2));
    else console.log(records.length === 0 ? 'no requests recorded' : formatRequests(records));
    return 0;
  });
}

function filterOf(values: { model?: string; status?: string; since?: string; client?: string; limit?: string }): RequestLogFilter {
  const filter: RequestLogFilter = { limit: DEFAULT_LIMIT };
  if (values.model !== undefined) filter.model = values.model;
  if (values.client !== undefined) filter.client = values.client;
  if (values.status !== undefined) {
    if (!REQUEST_STATUS_PATTERN.test(values.status)) throw new UsageError(`--status must be a status class (2xx … 5xx) or a code (404), got "${values.status}"`, USAGE);
    filter.status = values.status;
  }
  if (values.since !== undefined) {
    const since = parseTimeOrAge(values.since, Date.now());
    if (since === null) throw new UsageError(`--since must be an age such as 90s, 10m, 2h, 1d or ms since the epoch, got "${values.since}"`, USAGE);
    filter.sinceMs = since;
  }
  if (values.limit !== undefined) {
    const n = /^\d+$/.test(values.limit) ? Number(values.limit) : NaN;
    if (!(n >= 1 && n <= MAX_REQUEST_LIMIT)) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_REQUEST_LIMIT}, got "${values.limit}"`, USAGE);
    filter.limit = n;
  }
  return filter;
}

/** The request table as printed (times in the local time zone). */
export function formatRequests(records: RequestRecord[]): string {
  const rows = records.map((r) => {
    const rate = decodeTokensPerSecond(r);
    return [
      formatTime(r.atMs),
      r.client ?? '-',
      r.model ?? '-',
      r.route,
      r.stream === null ? '-' : r.stream ? 'yes' : 'no',
      r.error ? `${r.status} ${r.error}` : String(r.status),
      ms(r.waitedMs),
      ms(r.ttftMs),
      ms(r.durationMs),
      r.promptTokens === null && r.completionTokens === null ? '-' : `${r.promptTokens ?? '?'}/${r.completionTokens ?? '?'}`,
      rate === null ? '-' : rate.toFixed(1),
    ];
  });
  return formatTable(['TIME', 'CLIENT', 'MODEL', 'ROUTE', 'STREAM', 'STATUS', 'WAITED', 'TTFT', 'DURATION', 'TOKENS IN/OUT', 'TOK/S'], rows);
}

function formatTime(atMs: number): string {
  const d = new Date(atMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function ms(value: number | null): string {
  if (value === null) return '-';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
