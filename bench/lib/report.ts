// The results table, the target checks and the committed result files.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { CellResult } from './measure-cell.js';

export interface TargetCheck {
  target: string;
  value: string;
  pass: boolean;
}

/** Taken when the bench starts (this module is imported first thing). */
const LOAD_AT_START = loadavg()[0]!;

const HEADER = [
  'speed', 'C', 'TTFT p50 direct', 'TTFT p99 direct', 'TTFT p50 router', 'TTFT p99 router', 'added TTFT p50 (ms)',
  'chunks/s direct', 'chunks/s router', 'router/direct', 'router CPU µs/chunk', 'router RSS MiB', 'errors direct/router',
  'floor: added TTFT p50', 'floor/direct',
];

export function formatTable(cells: CellResult[]): string {
  const rows = cells.map((c) => [
    c.speed, String(c.concurrency),
    ms(c.direct.ttftP50Ms), ms(c.direct.ttftP99Ms), ms(c.router.ttftP50Ms), ms(c.router.ttftP99Ms), signed(addedTtft(c)),
    c.direct.chunksPerS.toFixed(0), c.router.chunksPerS.toFixed(0), ratio(c).toFixed(3),
    c.router.cpuUsPerChunk.toFixed(1), c.router.rssMiB.toFixed(1), `${c.direct.errors}/${c.router.errors}`,
    signed(c.floor.ttftP50Ms - c.direct.ttftP50Ms), floorRatio(c).toFixed(3),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((col, i) => (i < 2 ? col.padEnd(widths[i]!) : col.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(HEADER), rule, ...rows.map(line)].join('\n');
}

export function checkTargets(cells: CellResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const c of cells.filter((c) => c.tokensPerS === 50)) {
    checks.push({ target: `added TTFT p50 ≤ 0.3 ms (50 tok/s, C=${c.concurrency})`, value: `${signed(addedTtft(c))} ms`, pass: addedTtft(c) <= 0.3 });
  }
  for (const c of cells) {
    const limit = c.tokensPerS === 50 ? 0.99 : 0.9;
    checks.push({ target: `chunks/s router/direct ≥ ${limit} (${c.speed}, C=${c.concurrency})`, value: ratio(c).toFixed(3), pass: ratio(c) >= limit });
  }
  for (const c of cells.filter((c) => c.concurrency === 256)) {
    const errors = c.direct.errors + c.router.errors;
    checks.push({ target: `no error at 256 streams (${c.speed})`, value: `${c.direct.errors} direct, ${c.router.errors} router`, pass: errors === 0 });
  }
  return checks;
}

export function formatChecks(checks: TargetCheck[]): string {
  return checks.map((c) => `- ${c.pass ? 'PASS' : 'MISS'} ${c.target}: ${c.value}`).join('\n');
}

export function machineInfo(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    /** Other work on the machine skews everything; see README "Noise". */
    loadAvg1mAtStart: round2(LOAD_AT_START),
    loadAvg1mAtEnd: round2(loadavg()[0]!),
    date: new Date().toISOString().slice(0, 10),
  };
}

export async function writeResults(basePath: string, cells: CellResult[], checks: TargetCheck[], config: Record<string, unknown>): Promise<void> {
  const machine = machineInfo();
  await mkdir(dirname(basePath), { recursive: true });
  const json = { schema: 1, machine, config, cells: cells.map(roundCell), targets: checks };
  await writeFile(`${basePath}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${basePath}.md`, markdown(machine, cells, checks));
}

function markdown(machine: Record<string, string | number>, cells: CellResult[], checks: TargetCheck[]): string {
  const info = Object.entries(machine).map(([k, v]) => `${k}: ${v}`).join(' · ');
  return [
    '# Router benchmark — latest run',
    '',
    `${info}`,
    '',
    'Written by `npm run bench`; see bench/README.md for what each column means. TTFT in ms.',
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
    (['direct', 'router', 'floor'] as const).flatMap((side) => Object.entries(c[side].errorKinds).map(([kind, n]) => `- ${c.speed} C=${c.concurrency} ${side}: ${n} × ${kind}`)),
  );
  return notes.length > 0 ? ['## Errors', '', ...notes, ''] : [];
}

function roundCell(c: CellResult): CellResult {
  return JSON.parse(JSON.stringify(c, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value))) as CellResult;
}

function addedTtft(c: CellResult): number {
  return c.router.ttftP50Ms - c.direct.ttftP50Ms;
}

function ratio(c: CellResult): number {
  return c.direct.chunksPerS > 0 ? c.router.chunksPerS / c.direct.chunksPerS : NaN;
}

/** chunks/s of the minimal pass-through proxy over direct: what any extra Node process costs here. */
function floorRatio(c: CellResult): number {
  return c.direct.chunksPerS > 0 ? c.floor.chunksPerS / c.direct.chunksPerS : NaN;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function ms(value: number): string {
  return value.toFixed(2);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}
