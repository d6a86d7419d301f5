// Test-only stand-in for the three nvidia-smi calls GpuSampler makes, answered from real captures:
//   --help-query-gpu                                   → the help capture, verbatim
//   --query-gpu=<f> --format=csv,noheader,nounits      → one line per GPU
//   … -lms <ms>                                        → that, every <ms>, until killed or `exitAfterTicks`
// Each GPU is one all-fields `--format=csv` capture (header + one value line); requested fields are looked up
// by header name and printed with the unit removed, as `nounits` does. Two captures can share a masked UUID
// (GPU-00000000-…); the second gets its position as the last digits so history keys stay apart. That and the
// index (the position, as nvidia-smi numbers GPUs) are the only values not copied from a capture.
// Usage: node --import tsx replay-nvidia-smi.ts <config.json> <nvidia-smi args…>

import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalField } from '../../../system/nvidia-smi/query-fields.js';

/** What the replay answers with; written as JSON by writeReplayNvidiaSmi. */
export interface ReplayConfig {
  /** Paths of all-fields `--format=csv` captures, one per GPU, in index order. */
  captures: string[];
  /** Path of a `--help-query-gpu` capture; without it the call prints nothing. */
  helpCapture?: string;
  /** In loop mode: after this many ticks, print half a line and exit 1 (nvidia-smi dying mid-write). */
  exitAfterTicks?: number;
  /** From loop tick `fromTick` (1-based) on, print `token` (e.g. "[N/A]", as captured) for `field` on every GPU. */
  unknown?: { field: string; fromTick: number; token: string };
  /** Appends each invocation's argv as a JSON line, so tests can count processes. */
  argvLog?: string;
}

type Capture = Map<string, string>;

function readCapture(path: string, position: number, seenUuids: Set<string>): Capture {
  const [header, values] = readFileSync(path, 'utf8').split('\n');
  if (header === undefined || values === undefined) throw new Error(`${path}: expected a header line and a value line (an all-fields --format=csv capture)`);
  const names = header.split(', ');
  const cells = values.split(', ');
  const capture: Capture = new Map();
  names.forEach((name, i) => {
    const unit = /\[([^\]]+)\]$/.exec(name)?.[1];
    const raw = cells[i] ?? '';
    capture.set(canonicalField(name.replace(/\s*\[[^\]]+\]$/, '')), unit && raw.endsWith(` ${unit}`) ? raw.slice(0, -unit.length - 1) : raw);
  });
  capture.set('index', String(position));
  const uuid = capture.get('uuid') ?? '';
  if (seenUuids.has(uuid)) capture.set('uuid', uuid.slice(0, -String(position).length) + String(position));
  seenUuids.add(capture.get('uuid')!);
  return capture;
}

function tickLines(gpus: Capture[], fields: string[], tick: number, config: ReplayConfig): string {
  const unknown = config.unknown && tick >= config.unknown.fromTick ? config.unknown : undefined;
  return gpus
    .map((gpu) => fields.map((field) => (unknown?.field === field ? unknown.token : gpu.get(canonicalField(field)))).join(', '))
    .join('\n')
    .concat('\n');
}

async function main(argv: string[]): Promise<number> {
  const [configPath, ...args] = argv;
  if (configPath === undefined) throw new Error('usage: replay-nvidia-smi.ts <config.json> <nvidia-smi args…>');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ReplayConfig;
  if (config.argvLog) appendFileSync(config.argvLog, `${JSON.stringify(args)}\n`);
  if (args.includes('--help-query-gpu')) {
    if (config.helpCapture) process.stdout.write(readFileSync(config.helpCapture, 'utf8'));
    return 0;
  }
  const fields =
    args
      .find((a) => a.startsWith('--query-gpu='))
      ?.slice('--query-gpu='.length)
      .split(',') ?? [];
  const seen = new Set<string>();
  const gpus = config.captures.map((path, i) => readCapture(path, i, seen));
  const missing = fields.find((field) => !gpus[0]?.has(canonicalField(field)));
  if (missing) {
    process.stdout.write(`Field "${missing}" is not a valid field to query.\n\n`);
    return 2;
  }
  const lmsAt = args.indexOf('-lms');
  if (lmsAt < 0) {
    process.stdout.write(tickLines(gpus, fields, 0, config));
    return 0;
  }
  return loop(gpus, fields, Number(args[lmsAt + 1]), config);
}

async function loop(gpus: Capture[], fields: string[], intervalMs: number, config: ReplayConfig): Promise<number> {
  for (let tick = 1; ; tick++) {
    await sleep(intervalMs);
    process.stdout.write(tickLines(gpus, fields, tick, config));
    if (tick === config.exitAfterTicks) {
      const next = tickLines(gpus, fields, tick + 1, config);
      await new Promise<void>((resolve) => process.stdout.write(next.slice(0, next.indexOf('\n') >> 1), () => resolve()));
      return 1;
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
