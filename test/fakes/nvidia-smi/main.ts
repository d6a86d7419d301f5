// A fake `nvidia-smi` answering from real captures; see README.md. Entry: test/fakes/bin/nvidia-smi.

import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { computeAppsHeader, computeAppsLines, HELP_QUERY_COMPUTE_APPS, readComputeApps, resolveComputeAppFields, usedMiBByGpu, type ComputeApp } from './compute-apps.js';
import { gpuState, readState, statePath } from './fake-state.js';
import { HELP_CAPTURE } from './field-catalog.js';
import { formatTimestamp, liveFields } from './live-values.js';
import { runPowerLimit } from './power-limit-command.js';
import { headerLine, invalidFieldMessage, parseFormat, parseUnknownFields, resolveFields, valueLines } from './query-output.js';
import { parseFakeArgs, type FakeCommand } from './parse-fake-args.js';
import { readCapture } from './read-capture.js';
import { loadScenario, type FakeGpu, type Scenario } from './scenarios.js';
import { smiTable } from './smi-table.js';
import { listGpus, nvlinkStatus, topoMatrix } from './topology-output.js';

const USAGE_ERROR = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n";
const NO_DEVICES = 'No devices were found\n';

/** Runs one invocation; resolves to the exit code (never, for a loop that is not told to fail). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  process.stdout.on('error', () => process.exit(0)); // reader went away (EPIPE), as `| head` does
  await hangWhileAsked(env);
  const scenario = loadScenario(env.FAKE_NVIDIA_SMI_SCENARIO || 'rtx3090x6');
  const command = parseFakeArgs(argv);
  if (!command) return fail(USAGE_ERROR, 2);
  const targets = 'ids' in command ? selectGpus(scenario.gpus, command.ids) : scenario.gpus;
  if (!targets) return fail(NO_DEVICES, 6);
  switch (command.kind) {
    case 'help-query-gpu':
      return print(readCapture(HELP_CAPTURE));
    case 'help-query-compute-apps':
      return print(HELP_QUERY_COMPUTE_APPS);
    case 'list':
      return print(listGpus(targets));
    case 'nvlink-status':
      return print(nvlinkStatus(targets));
    case 'topo-matrix':
      return print(topoMatrix(scenario));
    case 'table':
      return print(smiTable(scenario, tick(scenario, scenario.gpus, env), new Date(), computeApps(scenario, scenario.gpus, env)));
    case 'power-limit':
      return powerLimit(scenario, targets, command.watts, env);
    case 'query':
      return query(scenario, targets, command, env);
    case 'query-compute-apps':
      return queryComputeApps(scenario, targets, command, env);
  }
}

/** `--query-compute-apps`: one line per (process, GPU) of the targets; the header alone when none runs. */
async function queryComputeApps(scenario: Scenario, targets: FakeGpu[], command: Extract<FakeCommand, { kind: 'query-compute-apps' }>, env: NodeJS.ProcessEnv): Promise<number> {
  const format = parseFormat(command.format);
  if (!format) return fail(USAGE_ERROR, 2);
  const resolved = resolveComputeAppFields(command.fields.split(','));
  if ('invalid' in resolved) return fail(invalidFieldMessage(resolved.invalid), 2);
  if (format.header) process.stdout.write(computeAppsHeader(resolved.fields));
  const lines = () => computeAppsLines(computeApps(scenario, targets, env), resolved.fields, format, formatTimestamp(Date.now()));
  if (command.loopMs === undefined) return print(lines());
  if (!(command.loopMs > 0)) return fail(USAGE_ERROR, 2);
  for (let n = 1; ; n++) {
    if (n > 1) await hangWhileAsked(env);
    process.stdout.write(lines());
    await sleep(command.loopMs);
  }
}

/** The simulated processes running on `targets` (see compute-apps.ts). */
function computeApps(scenario: Scenario, targets: FakeGpu[], env: NodeJS.ProcessEnv): ComputeApp[] {
  const indexes = new Set(targets.map((gpu) => gpu.index));
  return readComputeApps(statePath(scenario.name, env), scenario.gpus).filter((app) => indexes.has(app.gpu.index));
}

async function query(scenario: Scenario, targets: FakeGpu[], command: Extract<FakeCommand, { kind: 'query' }>, env: NodeJS.ProcessEnv): Promise<number> {
  const format = parseFormat(command.format);
  if (!format) return fail(USAGE_ERROR, 2);
  const resolved = resolveFields(command.fields.split(','));
  if ('invalid' in resolved) return fail(invalidFieldMessage(resolved.invalid), 2);
  const unknown = parseUnknownFields(env.FAKE_NVIDIA_SMI_NA);
  const lines = (n: number) => valueLines(tick(scenario, targets, env), resolved.fields, format, unknown, n);
  if (format.header) process.stdout.write(headerLine(resolved.fields));
  if (command.loopMs === undefined) return print(lines(1));
  if (!(command.loopMs > 0)) return fail(USAGE_ERROR, 2);
  const dieAfter = /^exit-after:(\d+)$/.exec(env.FAKE_NVIDIA_SMI_FAIL ?? '')?.[1];
  for (let n = 1; ; n++) {
    if (n > 1) await hangWhileAsked(env);
    process.stdout.write(lines(n));
    if (dieAfter !== undefined && n >= Number(dieAfter)) {
      // Dies mid-line, as a killed process can: the cut drops the last column, so the line is short of fields.
      const [next = ''] = lines(n + 1).split('\n');
      process.stdout.write(next.slice(0, Math.max(1, next.lastIndexOf(','))));
      return 1;
    }
    await sleep(command.loopMs);
  }
}

function powerLimit(scenario: Scenario, targets: FakeGpu[], wattsArg: string, env: NodeJS.ProcessEnv): number {
  const watts = Number(wattsArg);
  if (wattsArg.trim() === '' || !Number.isFinite(watts)) return fail(USAGE_ERROR, 2);
  const privileged = env.FAKE_NVIDIA_SMI_PRIVILEGED ? env.FAKE_NVIDIA_SMI_PRIVILEGED === '1' : process.getuid?.() === 0;
  const unsupported = (env.FAKE_NVIDIA_SMI_UNSUPPORTED_PL ?? '')
    .split(',')
    .filter(Boolean)
    .map((id) => normalizeBusId(id.trim()) ?? id);
  const result = runPowerLimit(targets, watts, {
    scenario: scenario.name,
    statePath: statePath(scenario.name, env),
    privileged,
    unsupportedBusIds: new Set(unsupported),
    noEffect: env.FAKE_NVIDIA_SMI_FAIL === 'pl-no-effect',
  });
  process.stdout.write(result.stdout);
  return result.code;
}

/** Every target's fields for this instant, with the stored limits and the memory of the processes running. */
function tick(scenario: Scenario, targets: FakeGpu[], env: NodeJS.ProcessEnv): Map<string, string>[] {
  const state = readState(statePath(scenario.name, env), scenario.name);
  const load = Math.min(100, Math.max(0, Number(env.FAKE_NVIDIA_SMI_LOAD ?? 0) || 0)) / 100;
  const processMiB = usedMiBByGpu(computeApps(scenario, targets, env));
  return targets.map((gpu) => liveFields(gpu, { state: gpuState(state, gpu), nowMs: Date.now(), load, processMiB: processMiB.get(gpu.index) ?? 0 }));
}

/** `-i` takes indexes, UUIDs or PCI bus ids, comma-separated; null when one matches no GPU. */
function selectGpus(gpus: FakeGpu[], ids: string | undefined): FakeGpu[] | null {
  if (ids === undefined) return gpus;
  const selected: FakeGpu[] = [];
  for (const id of ids.split(',').map((s) => s.trim())) {
    const busId = normalizeBusId(id);
    const gpu = gpus.find((g) => (/^\d+$/.test(id) ? g.index === Number(id) : g.uuid.toLowerCase() === id.toLowerCase() || g.busId === busId));
    if (!gpu) return null;
    selected.push(gpu);
  }
  return selected;
}

/** `0000:41:00.0`, `41:00.0` and lower case all name `00000000:41:00.0`. */
function normalizeBusId(id: string): string | null {
  const match = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(id);
  return match ? `${(match[1] ?? '0').padStart(8, '0')}:${match[2]}:${match[3]}.${match[4]}`.toUpperCase() : null;
}

/**
 * `FAKE_NVIDIA_SMI_HANG=<file>`: while that file exists, a call hangs before it answers (a loop at its next
 * tick) and never answers, as nvidia-smi does when a GPU falls off the bus. It ignores SIGTERM and SIGINT,
 * as such an nvidia-smi does; SIGKILL ends it. Calls started after the file is removed answer again.
 */
async function hangWhileAsked(env: NodeJS.ProcessEnv): Promise<void> {
  const file = env.FAKE_NVIDIA_SMI_HANG;
  if (!file || !existsSync(file)) return;
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

function fail(text: string, code: number): number {
  process.stdout.write(text);
  return code;
}
