// The soak's summary: what it counted, turned into the printed text (and kept as JSON).
import type { RequestResult } from './soak-clients.js';
import type { Leftover } from './soak-host.js';

export interface KillRecord {
  atMs: number;
  pid: number;
  modelId: string | null;
  slotStatus: string;
  phase: string | null;
  /** The engine's active / waiting requests at the kill (GET /api/state just before it). */
  activeRequests: number;
  waitingRequests: number;
  /** The soak's own requests in flight when it sent SIGKILL. */
  clientInFlight: number;
  /** ms until no live member of the simulator's group was left; null = not within 5 s. */
  groupGoneMs: number | null;
  /** ms until /api/state no longer showed the killed pid as ready/loading; null = not within 15 s. */
  noticedMs: number | null;
  /** What the slot said when the engine noticed (e.g. failed: backend_crashed). */
  noticedAs: string | null;
}

export interface Sample {
  tS: number;
  rssMiB: number | null;
  fds: number | null;
  groupMembers: number;
  clientInFlight: number;
}

export interface Measure {
  label: string;
  atS: number;
  rssMiB: number | null;
  fds: number | null;
}

export interface SoakCheck {
  check: string;
  value: string;
  pass: boolean;
  /** false: reported only, does not fail the exit code. */
  gating: boolean;
}

export interface SoakReport {
  config: Record<string, unknown>;
  startedAt: string;
  durationS: number;
  enginePid: number;
  requests: { total: number; ok: number; failed: number; cancelled: number; streaming: { ok: number; failed: number }; nonStreaming: { ok: number; failed: number } };
  failuresByCause: { cause: string; count: number; nearKill: number; examples: string[] }[];
  /** Failed requests that overlapped no kill window: not explained by the fault injection. */
  unexplainedFailures: number;
  perModel: { model: string; ok: number; failed: number }[];
  ttftMs: { p50: number | null; p99: number | null };
  durationMs: { p50: number | null; p99: number | null; max: number | null };
  /** Ok streams that got the router's status lines (they waited for a switch). */
  streamsThatWaited: number;
  switches: {
    loadsReady: number;
    loadsFailed: number;
    loadsCancelled: number;
    unloadsByCause: Record<string, number>;
    readyByModel: Record<string, number>;
    loadMs: { p50: number | null; max: number | null };
    loadFailures: string[];
  };
  kills: { done: number; skipped: number; records: KillRecord[] };
  measures: Measure[];
  rss: { minMiB: number | null; maxMiB: number | null; samples: Sample[] };
  engineStop: { exit: string; ms: number; groupGone: boolean };
  engineDiedEarly: string | null;
  leftovers: { atExit: Leftover[]; afterGrace: Leftover[] };
  simLaunches: number;
  engineLogFindings: string[];
  harnessErrors: string[];
  checks: SoakCheck[];
}

/** Failures whose request overlapped [kill, kill + noticed + 1 s] count as "near a kill". */
export function nearAKill(result: RequestResult, kills: KillRecord[]): boolean {
  return kills.some((k) => result.startMs <= k.atMs + (k.noticedMs ?? 5_000) + 1_000 && result.endMs >= k.atMs);
}

export function summarizeRequests(results: RequestResult[], kills: KillRecord[]): Pick<SoakReport, 'requests' | 'failuresByCause' | 'perModel' | 'ttftMs' | 'durationMs' | 'streamsThatWaited'> {
  const counted = results.filter((r) => !r.cancelled);
  const failed = counted.filter((r) => !r.ok);
  const byCause = new Map<string, { cause: string; count: number; nearKill: number; examples: string[] }>();
  for (const r of failed) {
    const cause = r.cause ?? 'unknown';
    const entry = byCause.get(cause) ?? { cause, count: 0, nearKill: 0, examples: [] };
    entry.count++;
    if (nearAKill(r, kills)) entry.nearKill++;
    const example = `${r.model}${r.stream ? ' (stream)' : ''}: ${r.detail ?? ''}`.slice(0, 240);
    if (entry.examples.length < 3 && !entry.examples.some((e) => e.endsWith(r.detail ?? ''))) entry.examples.push(example);
    byCause.set(cause, entry);
  }
  const models = [...new Set(results.map((r) => r.model))].sort();
  const ttfts = counted
    .filter((r) => r.ok && r.ttftMs !== undefined)
    .map((r) => r.ttftMs!)
    .sort((a, b) => a - b);
  const durations = counted
    .filter((r) => r.ok)
    .map((r) => r.endMs - r.startMs)
    .sort((a, b) => a - b);
  return {
    requests: {
      total: counted.length,
      ok: counted.length - failed.length,
      failed: failed.length,
      cancelled: results.length - counted.length,
      streaming: { ok: counted.filter((r) => r.stream && r.ok).length, failed: failed.filter((r) => r.stream).length },
      nonStreaming: { ok: counted.filter((r) => !r.stream && r.ok).length, failed: failed.filter((r) => !r.stream).length },
    },
    failuresByCause: [...byCause.values()].sort((a, b) => b.count - a.count),
    perModel: models.map((model) => ({ model, ok: counted.filter((r) => r.model === model && r.ok).length, failed: failed.filter((r) => r.model === model).length })),
    ttftMs: { p50: percentile(ttfts, 0.5), p99: percentile(ttfts, 0.99) },
    durationMs: { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99), max: durations.at(-1) ?? null },
    streamsThatWaited: counted.filter((r) => r.ok && r.statusChunks > 0).length,
  };
}

export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The summary as printed (and saved next to the JSON). */
export function formatReport(r: SoakReport): string {
  const lines: string[] = [];
  const c = r.config;
  lines.push(
    `SOAK ${r.startedAt}: ${r.durationS.toFixed(0)} s of load, ${c.streams} clients, main model changes every ${c.switchEveryS} s, kill every ${c.killEveryS} s, time scale ${c.timeScale}, ${c.tokensPerS} tok/s; engine pid ${r.enginePid}`,
  );
  lines.push('');
  lines.push(
    table(
      ['requests', 'total', 'ok', 'failed'],
      [
        ['streaming', String(r.requests.streaming.ok + r.requests.streaming.failed), String(r.requests.streaming.ok), String(r.requests.streaming.failed)],
        ['non-streaming', String(r.requests.nonStreaming.ok + r.requests.nonStreaming.failed), String(r.requests.nonStreaming.ok), String(r.requests.nonStreaming.failed)],
        ['all', String(r.requests.total), String(r.requests.ok), String(r.requests.failed)],
        ...r.perModel.map((m) => [`  ${m.model}`, String(m.ok + m.failed), String(m.ok), String(m.failed)]),
      ],
    ),
  );
  lines.push(
    `ok requests: duration p50 ${fmtMs(r.durationMs.p50)}, p99 ${fmtMs(r.durationMs.p99)}, max ${fmtMs(r.durationMs.max)}; time to the model's first token p50 ${fmtMs(r.ttftMs.p50)}, p99 ${fmtMs(r.ttftMs.p99)} (switch waits included); ${r.streamsThatWaited} ok streams waited for a switch (got status lines); cancelled by the soak's own end: ${r.requests.cancelled}`,
  );
  lines.push('');
  if (r.failuresByCause.length === 0) lines.push('failures by cause: none');
  else {
    lines.push(
      table(
        ['failure cause', 'count', 'near a kill', 'not near a kill'],
        r.failuresByCause.map((f) => [f.cause, String(f.count), String(f.nearKill), String(f.count - f.nearKill)]),
      ),
    );
    for (const f of r.failuresByCause) for (const e of f.examples) lines.push(`  e.g. [${f.cause}] ${e}`);
  }
  lines.push('');
  const s = r.switches;
  const unloads =
    Object.entries(s.unloadsByCause)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  lines.push(
    `switches: ${s.loadsReady} loads ready (${Object.entries(s.readyByModel)
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}), ${s.loadsFailed} failed, ${s.loadsCancelled} cancelled; load time p50 ${fmtMs(s.loadMs.p50)}, max ${fmtMs(s.loadMs.max)}; unloads: ${unloads}`,
  );
  for (const f of s.loadFailures.slice(0, 5)) lines.push(`  load failure: ${f}`);
  lines.push(`kills: ${r.kills.done} done, ${r.kills.skipped} skipped (no backend with a pid in time); simulator launches: ${r.simLaunches}`);
  if (r.kills.records.length > 0) {
    lines.push(
      table(
        ['kill at', 'pid', 'model', 'slot', 'engine active/waiting', 'client in flight', 'group gone', 'engine noticed'],
        r.kills.records.map((k) => [
          `${((k.atMs - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`,
          String(k.pid),
          k.modelId ?? '—',
          k.phase && !k.slotStatus.startsWith(k.phase) ? `${k.slotStatus} (${k.phase})` : k.slotStatus,
          `${k.activeRequests}/${k.waitingRequests}`,
          String(k.clientInFlight),
          fmtMs(k.groupGoneMs),
          k.noticedMs === null ? 'NOT within 15 s' : `${fmtMs(k.noticedMs)} → ${k.noticedAs}`,
        ]),
      ),
    );
  }
  lines.push('');
  const m = (label: string) => r.measures.find((x) => x.label === label);
  const boot = m('boot');
  const base = m('after warm-up');
  const end = m('end');
  const growth = (a: number | null | undefined, b: number | null | undefined, digits: number) => (a == null || b == null ? '—' : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(digits)}`);
  lines.push(
    table(
      ['engine', 'boot', 'after warm-up', 'end (idle, 1 model ready)', 'growth since warm-up'],
      [
        ['RSS MiB', fmt(boot?.rssMiB, 1), fmt(base?.rssMiB, 1), fmt(end?.rssMiB, 1), growth(base?.rssMiB, end?.rssMiB, 1)],
        ['open fds', fmt(boot?.fds, 0), fmt(base?.fds, 0), fmt(end?.fds, 0), growth(base?.fds, end?.fds, 0)],
      ],
    ),
  );
  lines.push(
    `RSS over the run: min ${fmt(r.rss.minMiB, 1)} MiB, max ${fmt(r.rss.maxMiB, 1)} MiB; samples (t: RSS MiB / fds): ${pickPoints(r.rss.samples, 10)
      .map((p) => `${p.tS.toFixed(0)}s: ${fmt(p.rssMiB, 1)}/${fmt(p.fds, 0)}`)
      .join(', ')}`,
  );
  lines.push('');
  lines.push(
    `engine stop (SIGTERM): ${r.engineStop.exit} after ${fmtMs(r.engineStop.ms)}, process group ${r.engineStop.groupGone ? 'gone' : 'NOT gone'}${r.engineDiedEarly ? `; the engine DIED during the soak: ${r.engineDiedEarly}` : ''}`,
  );
  const leftoverLines = (list: Leftover[]) => list.map((l) => `  pid ${l.pid} (pgrp ${l.pgrp}, ${l.state}) ${l.why}: ${l.cmdline}`);
  lines.push(`leftover processes at the engine's exit: ${r.leftovers.atExit.length}`, ...leftoverLines(r.leftovers.atExit));
  lines.push(`leftover processes 2 s later: ${r.leftovers.afterGrace.length}`, ...leftoverLines(r.leftovers.afterGrace));
  if (r.engineLogFindings.length > 0) lines.push(`engine log lines worth a look (${r.engineLogFindings.length}):`, ...r.engineLogFindings.slice(0, 10).map((l) => `  ${l}`));
  if (r.harnessErrors.length > 0) lines.push(`soak harness errors: ${r.harnessErrors.length}`, ...r.harnessErrors.slice(0, 10).map((l) => `  ${l}`));
  lines.push('');
  lines.push(
    table(
      ['check', 'value', 'result'],
      r.checks.map((ch) => [ch.check, ch.value, ch.pass ? 'PASS' : ch.gating ? 'FAIL' : 'WARN']),
    ),
  );
  return lines.join('\n');
}

function pickPoints<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]!);
  return out;
}

function table(heads: string[], rows: string[][]): string {
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cols: string[]) =>
    cols
      .map((col, i) => (i === 0 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(heads), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function fmt(value: number | null | undefined, digits: number): string {
  return value == null ? '—' : value.toFixed(digits);
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
