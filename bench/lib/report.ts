// The results table, the target checks and the committed result files.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { CellResult, SideStats } from './measure-cell.js';

export interface TargetCheck {
  target: string;
  value: string;
  /** null: not checked (no nginx to compare with). */
  pass: boolean | null;
}

/** Taken when the bench starts (this module is imported first thing). */
const LOAD_AT_START = loadavg()[0]!;
const NO_NGINX = 'skipped: nginx not installed';

interface Column {
  head: string;
  value(c: CellResult): string;
}

/** Added = side − direct (ms); ratio = side chunks/s ÷ direct chunks/s; µs/chunk = the side's CPU per chunk passed. */
const COLUMNS: Column[] = [
  { head: 'speed', value: (c) => c.speed },
  { head: 'C', value: (c) => String(c.concurrency) },
  { head: 'TTFT p50 direct', value: (c) => ms(c.direct.ttftP50Ms) },
  { head: 'added p50 router', value: (c) => signed(added(c.router, c, 'ttftP50Ms')) },
  { head: 'added p50 nginx', value: (c) => (c.nginx ? signed(added(c.nginx, c, 'ttftP50Ms')) : '—') },
  { head: 'added p50 floor', value: (c) => signed(added(c.floor, c, 'ttftP50Ms')) },
  { head: 'added p99 router', value: (c) => signed(added(c.router, c, 'ttftP99Ms')) },
  { head: 'added p99 nginx', value: (c) => (c.nginx ? signed(added(c.nginx, c, 'ttftP99Ms')) : '—') },
  { head: 'chunks/s direct', value: (c) => c.direct.chunksPerS.toFixed(0) },
  { head: 'ratio router', value: (c) => ratio(c.router, c).toFixed(3) },
  { head: 'ratio nginx', value: (c) => (c.nginx ? ratio(c.nginx, c).toFixed(3) : '—') },
  { head: 'ratio floor', value: (c) => ratio(c.floor, c).toFixed(3) },
  { head: 'µs/chunk router', value: (c) => num(c.router.cpuUsPerChunk, 1) },
  { head: 'µs/chunk nginx', value: (c) => (c.nginx ? num(c.nginx.cpuUsPerChunk, 1) : '—') },
  { head: 'µs/chunk floor', value: (c) => num(c.floor.cpuUsPerChunk, 1) },
  { head: 'router RSS / peak MiB', value: (c) => `${c.router.rssMiB.toFixed(0)} / ${c.router.peakRssMiB.toFixed(0)}` },
  { head: 'errors d/r/n/f', value: (c) => [c.direct, c.router, c.nginx, c.floor].map((s) => (s ? String(s.errors) : '—')).join('/') },
];

export function formatTable(cells: CellResult[]): string {
  const rows = cells.map((c) => COLUMNS.map((col) => col.value(c)));
  const heads = COLUMNS.map((col) => col.head);
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((col, i) => (i < 2 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(heads), rule, ...rows.map(line)].join('\n');
}

/** The goals of issue 13, each against direct and nginx measured in the same run. */
export function checkTargets(cells: CellResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const slow = cells.filter((c) => c.tokensPerS === 50);
  const fast = cells.filter((c) => c.tokensPerS === 0);
  for (const c of slow) {
    const value = added(c.router, c, 'ttftP50Ms');
    checks.push({
      target: `added TTFT p50 ≤ +0.3 ms (50 tok/s, C=${c.concurrency})`,
      value: `${signed(value)} ms${c.nginx ? ` (nginx ${signed(added(c.nginx, c, 'ttftP50Ms'))})` : ''}`,
      pass: value <= 0.3,
    });
  }
  for (const c of slow.filter((c) => c.concurrency === 256)) {
    const value = added(c.router, c, 'ttftP99Ms');
    checks.push({ target: 'added TTFT p99 ≤ +1 ms (50 tok/s, C=256)', value: `${signed(value)} ms${c.nginx ? ` (nginx ${signed(added(c.nginx, c, 'ttftP99Ms'))})` : ''}`, pass: value <= 1 });
  }
  for (const c of [...slow, ...fast]) checks.push(cpuCheck(c));
  for (const c of fast) {
    if (!c.nginx) {
      checks.push({ target: `chunks/s ratio ≥ 0.9 × nginx's (full speed, C=${c.concurrency})`, value: NO_NGINX, pass: null });
      continue;
    }
    const relative = ratio(c.router, c) / ratio(c.nginx, c);
    checks.push({
      target: `chunks/s ratio ≥ 0.9 × nginx's (full speed, C=${c.concurrency})`,
      value: `${ratio(c.router, c).toFixed(3)} vs ${ratio(c.nginx, c).toFixed(3)} = ${relative.toFixed(2)}×`,
      pass: relative >= 0.9,
    });
  }
  const peak = Math.max(...cells.filter((c) => c.concurrency === 256).map((c) => c.router.peakRssMiB));
  checks.push({ target: 'router peak RSS after 256 streams < 150 MB', value: `${(peak * 1.048576).toFixed(0)} MB (${peak.toFixed(0)} MiB)`, pass: peak * 1.048576 < 150 });
  for (const c of cells.filter((c) => c.concurrency === 256)) {
    const sides: Array<[string, SideStats | undefined]> = [
      ['direct', c.direct],
      ['router', c.router],
      ['nginx', c.nginx],
      ['floor', c.floor],
    ];
    const errors = sides.reduce((n, [, s]) => n + (s?.errors ?? 0), 0);
    checks.push({
      target: `no error at 256 streams (${c.speed})`,
      value: sides
        .filter(([, s]) => s)
        .map(([name, s]) => `${s!.errors} ${name}`)
        .join(', '),
      pass: errors === 0,
    });
  }
  return checks;
}

function cpuCheck(c: CellResult): TargetCheck {
  const target = `CPU per chunk ≤ 1.5 × nginx (${c.speed}, C=${c.concurrency})`;
  if (!c.nginx) return { target, value: NO_NGINX, pass: null };
  const times = c.router.cpuUsPerChunk! / c.nginx.cpuUsPerChunk!;
  return { target, value: `${num(c.router.cpuUsPerChunk, 1)} vs ${num(c.nginx.cpuUsPerChunk, 1)} µs = ${times.toFixed(2)}×`, pass: times <= 1.5 };
}

export function formatChecks(checks: TargetCheck[]): string {
  return checks.map((c) => `- ${c.pass === null ? 'SKIP' : c.pass ? 'PASS' : 'MISS'} ${c.target}: ${c.value}`).join('\n');
}

export function machineInfo(extra: Record<string, string> = {}): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    ...extra,
    /** Other work on the machine skews everything; see README "Noise". */
    loadAvg1mAtStart: round2(LOAD_AT_START),
    loadAvg1mAtEnd: round2(loadavg()[0]!),
    date: new Date().toISOString().slice(0, 10),
  };
}

export async function writeResults(basePath: string, cells: CellResult[], checks: TargetCheck[], config: Record<string, unknown>, extraMachine: Record<string, string> = {}): Promise<void> {
  const machine = machineInfo(extraMachine);
  await mkdir(dirname(basePath), { recursive: true });
  const json = { schema: 2, machine, config, cells: cells.map(roundCell), targets: checks };
  await writeFile(`${basePath}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${basePath}.md`, markdown(machine, cells, checks));
}

function markdown(machine: Record<string, string | number>, cells: CellResult[], checks: TargetCheck[]): string {
  const info = Object.entries(machine)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ');
  return [
    '# Router benchmark — latest run',
    '',
    `${info}`,
    '',
    'Written by `npm run bench`; see bench/README.md for what each column means. TTFT in ms; "added" is',
    "the side minus direct; \"ratio\" is the side's chunks/s over direct's; µs/chunk is the side's CPU",
    '(every process of its group) per chunk it passed.',
    '',
    formatTable(cells),
    '',
    '## Targets',
    '',
    formatChecks(checks),
    '',
    ...errorNotes(cells),
  ].join('\n');
}

function errorNotes(cells: CellResult[]): string[] {
  const notes = cells.flatMap((c) =>
    (['direct', 'router', 'nginx', 'floor'] as const).flatMap((side) => Object.entries(c[side]?.errorKinds ?? {}).map(([kind, n]) => `- ${c.speed} C=${c.concurrency} ${side}: ${n} × ${kind}`)),
  );
  return notes.length > 0 ? ['## Errors', '', ...notes, ''] : [];
}

function roundCell(c: CellResult): CellResult {
  return JSON.parse(JSON.stringify(c, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value))) as CellResult;
}

function added(side: SideStats, c: CellResult, field: 'ttftP50Ms' | 'ttftP99Ms'): number {
  return side[field] - c.direct[field];
}

function ratio(side: SideStats, c: CellResult): number {
  return c.direct.chunksPerS > 0 ? side.chunksPerS / c.direct.chunksPerS : NaN;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function ms(value: number): string {
  return value.toFixed(2);
}

function num(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}
