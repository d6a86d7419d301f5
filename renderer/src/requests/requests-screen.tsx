import { useCallback, useEffect, useState } from 'react';
import type { ModelView } from '../../../shared/engine-state.js';
import { decodeTokensPerSecond, type RequestLogFilter, type RequestRecord } from '../../../shared/request-log.js';
import { apiHub, type ApiHub } from '../api/api-hub.js';
import { useEngineStore } from '../engine/engine-store.js';
import { formatClock } from '../switch/format-clock.js';
import './requests.css';

/** How often the table is read again while the screen is shown (the log has no event of its own). */
export const REQUESTS_REFRESH_MS = 5_000;
/** Rows shown at most. */
export const REQUESTS_SHOWN = 500;

const SINCE_CHOICES: { label: string; ms: number | null }[] = [
  { label: 'last 15 min', ms: 15 * 60_000 },
  { label: 'last hour', ms: 3_600_000 },
  { label: 'last 24 h', ms: 86_400_000 },
  { label: 'all kept', ms: null },
];
const STATUS_CHOICES = ['', '2xx', '4xx', '5xx'];
/** One empty list, so the store selector returns the same value while there is no state. */
const NO_MODELS: readonly ModelView[] = [];

interface Filters {
  model: string;
  status: string;
  /** Index into SINCE_CHOICES. */
  since: number;
  client: string;
}

/**
 * The router's request log (`requests.list`), newest first: when, who, which model and route,
 * stream or not, status and cause, time waited for a switch, TTFT, duration, tokens and decode tok/s.
 * Filters by model, status class, age and client; read again every few seconds.
 */
export function RequestsScreen({ hub: given, refreshMs = REQUESTS_REFRESH_MS }: { hub?: ApiHub; refreshMs?: number } = {}) {
  const [hub] = useState(() => given ?? apiHub());
  const models = useEngineStore((s) => s.state?.models ?? NO_MODELS);
  const [filters, setFilters] = useState<Filters>({ model: '', status: '', since: 1, client: '' });
  const [records, setRecords] = useState<RequestRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const filter: RequestLogFilter = { limit: REQUESTS_SHOWN };
    if (filters.model) filter.model = filters.model;
    if (filters.status) filter.status = filters.status;
    if (filters.client.trim()) filter.client = filters.client.trim();
    const age = SINCE_CHOICES[filters.since]?.ms ?? null;
    if (age !== null) filter.sinceMs = Math.max(0, Math.floor(Date.now() - age));
    try {
      setRecords(await hub.call('requests.list', filter));
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [hub, filters]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), refreshMs);
    return () => clearInterval(timer);
  }, [load, refreshMs]);

  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setFilters((f) => ({ ...f, [key]: value }));

  return (
    <section className="requests-screen" aria-labelledby="requests-heading">
      <h2 id="requests-heading">Requests</h2>
      <form className="requests-filters" aria-label="Request filters" onSubmit={(e) => (e.preventDefault(), void load())}>
        <label>
          Model{' '}
          <select value={filters.model} onChange={(e) => set('model', e.target.value)} data-testid="requests-model">
            <option value="">all</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={filters.status} onChange={(e) => set('status', e.target.value)} data-testid="requests-status">
            {STATUS_CHOICES.map((s) => (
              <option key={s} value={s}>
                {s || 'all'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since{' '}
          <select value={filters.since} onChange={(e) => set('since', Number(e.target.value))} data-testid="requests-since">
            {SINCE_CHOICES.map((c, i) => (
              <option key={c.label} value={i}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Client <input type="text" value={filters.client} onChange={(e) => set('client', e.target.value)} placeholder="any address" size={16} data-testid="requests-client" />
        </label>
        <button type="submit">Refresh</button>
      </form>
      {error && <p className="dim">Request log unavailable: {error}</p>}
      {!error && records?.length === 0 && <p className="dim">No requests match.</p>}
      {records && records.length > 0 && <RequestsTable records={records} />}
    </section>
  );
}

/** The request rows, newest first. */
export function RequestsTable({ records }: { records: RequestRecord[] }) {
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label="Requests">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Client</th>
            <th scope="col">Model</th>
            <th scope="col">Route</th>
            <th scope="col">Stream</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Waited
            </th>
            <th scope="col" className="num">
              TTFT
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Tokens in/out
            </th>
            <th scope="col" className="num">
              tok/s
            </th>
          </tr>
        </thead>
        <tbody>
          {records.map((r, i) => {
            const rate = decodeTokensPerSecond(r);
            return (
              <tr key={`${r.atMs}|${i}`} data-testid="request-row" data-status={r.status}>
                <td className="num">{formatClock(r.atMs)}</td>
                <td className="mono">{r.client ?? '—'}</td>
                <td>{r.model ?? '—'}</td>
                <td className="mono">{r.route}</td>
                <td>{r.stream === null ? '—' : r.stream ? 'yes' : 'no'}</td>
                <td>
                  <span className={`badge ${r.status >= 400 || r.error ? 'badge-failed' : 'badge-loaded'}`}>{r.status}</span>
                  {r.error && <span className="mono"> {r.error}</span>}
                </td>
                <td className="num">{formatMs(r.waitedMs)}</td>
                <td className="num">{formatMs(r.ttftMs)}</td>
                <td className="num">{formatMs(r.durationMs)}</td>
                <td className="num">{r.promptTokens === null && r.completionTokens === null ? '—' : `${r.promptTokens ?? '?'} / ${r.completionTokens ?? '?'}`}</td>
                <td className="num">{rate === null ? '—' : rate.toFixed(1)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** `850 ms`, `12.3 s`; an em dash for none. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
