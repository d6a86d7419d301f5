// `--query-compute-apps` and `--help-query-compute-apps`, plus the processes the fake's GPUs are running: every
// simulated SGLang server (test/fakes/sglang-sim) publishes what each of its scheduler ranks holds in
// `<FAKE_NVIDIA_SMI_STATE>.procs/<pid>.json` (see sglang-sim/gpu-memory-registry.ts). Files of dead simulators
// and entries of dead processes are ignored. See README.md, "Compute processes".

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegisteredProcess, RegistryFile } from '../sglang-sim/gpu-memory-registry.js';
import type { CsvFormat } from './query-output.js';
import type { FakeGpu } from './scenarios.js';

/**
 * `nvidia-smi --help-query-compute-apps`, verbatim: utkuozdemir/nvidia_gpu_exporter
 * `internal/captures/linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt` (section
 * `capabilities :: help-query-compute-apps`, @ e656cd81a180e7e0e7862b53c9acd4c2fb0f590b). The same bytes in
 * every capture of that folder (drivers 590.48.01, 595.71.05, 595.80, 610.57.04, Windows 591.86/610.62).
 * Kept here rather than in test/fixtures/nvidia-smi so that the packaged fake carries it.
 */
export const HELP_QUERY_COMPUTE_APPS = `List of valid properties to query for the switch "--query-compute-apps":

Section about Active Compute Processes properties
List of processes having compute context on the device.

"timestamp"
The timestamp of when the query was made in format "YYYY/MM/DD HH:MM:SS.msec".

"gpu_name"
The official product name of the GPU. This is an alphanumeric string. For all products.

"gpu_bus_id"
PCI bus id as "domain:bus:device.function", in hex.

"gpu_serial"
This number matches the serial number physically printed on each board. It is a globally unique immutable alphanumeric value.

"gpu_uuid"
This value is the globally unique immutable alphanumeric identifier of the GPU. It does not correspond to any physical label on the board.

"pid"
Process ID of the compute application

"process_name" or "name"
Process Name

"used_gpu_memory" or "used_memory"
Amount memory used on the device by the context. Not available on Windows when running in WDDM mode because Windows KMD manages all the memory not NVIDIA driver.

`;

/** One line of `--query-compute-apps`: a process on one GPU. */
export interface ComputeApp {
  gpu: FakeGpu;
  pid: number;
  processName: string;
  usedMiB: number;
}

const FIELD_LINE = /^"[^"]+"(?: or "[^"]+")*\s*$/;
/** The one field with a unit (`used_gpu_memory [MiB]`, value `25 MiB`), as in the captures. */
const UNITS = new Map([['used_gpu_memory', 'MiB']]);

let catalog: Map<string, string> | undefined;

/** Spelling (with the aliases `name`, `used_memory`) → canonical name, from the help text. */
function computeAppFields(): Map<string, string> {
  if (catalog) return catalog;
  catalog = new Map();
  for (const line of HELP_QUERY_COMPUTE_APPS.split('\n')) {
    if (!FIELD_LINE.test(line)) continue;
    const spellings = [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
    for (const name of spellings) catalog.set(name, spellings[0] ?? name);
  }
  return catalog;
}

/** Canonical names for the requested spellings, or the first one nvidia-smi would refuse. */
export function resolveComputeAppFields(requested: string[]): { fields: string[] } | { invalid: string } {
  const fields: string[] = [];
  for (const name of requested) {
    const field = computeAppFields().get(name.trim());
    if (!field) return { invalid: name.trim() };
    fields.push(field);
  }
  return { fields };
}

/** The header: names as printed by the captures, the memory field with its unit (kept with `nounits`). */
export function computeAppsHeader(fields: string[]): string {
  return `${fields.map((f) => (UNITS.has(f) ? `${f} [${UNITS.get(f)}]` : f)).join(', ')}\n`;
}

/** One line per (process, GPU); nothing at all when no process runs (the header alone, as the captures show). */
export function computeAppsLines(apps: ComputeApp[], fields: string[], format: CsvFormat, timestamp: string): string {
  return apps
    .map((app) => {
      const values: Record<string, string> = {
        timestamp,
        gpu_name: app.gpu.name,
        gpu_bus_id: app.gpu.busId,
        gpu_serial: app.gpu.base.get('serial') ?? '[N/A]',
        gpu_uuid: app.gpu.uuid,
        pid: String(app.pid),
        process_name: app.processName,
        used_gpu_memory: format.units ? `${app.usedMiB} MiB` : String(app.usedMiB),
      };
      return `${fields.map((f) => values[f] ?? '[N/A]').join(', ')}\n`;
    })
    .join('');
}

/** `<state>.procs`: where simulators register the memory they hold. */
export function processesDir(statePath: string): string {
  return `${statePath}.procs`;
}

/**
 * Alive means: /proc/<pid>/stat exists, the process is not a zombie, and (when given) it started at `startTicks`,
 * so a pid reused by another process does not count. Off Linux: signal 0.
 */
function alive(pid: number, startTicks?: string | null): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsProc()) return signalZero(pid);
    return false;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTicks === undefined || startTicks === null || fields[19] === startTicks;
}

function existsProc(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The GPU a registered entry names: an index or a (prefix of a) UUID, as CUDA_VISIBLE_DEVICES takes them. */
function findGpu(gpus: FakeGpu[], id: string): FakeGpu | undefined {
  if (/^\d+$/.test(id)) return gpus.find((g) => g.index === Number(id));
  const lower = id.toLowerCase();
  return lower.startsWith('gpu-') ? gpus.find((g) => g.uuid.toLowerCase().startsWith(lower)) : undefined;
}

/** Every live registered process, by GPU index, then in registration order. */
export function readComputeApps(statePath: string, gpus: FakeGpu[]): ComputeApp[] {
  const dir = processesDir(statePath);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const apps: ComputeApp[] = [];
  for (const name of names.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))) {
    let file: RegistryFile;
    try {
      file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RegistryFile;
    } catch {
      continue; // removed meanwhile
    }
    if (file.version !== 1 || !Array.isArray(file.processes) || !alive(file.owner?.pid, file.owner?.startTicks)) continue;
    for (const entry of file.processes as RegisteredProcess[]) {
      const gpu = findGpu(gpus, String(entry.gpu));
      if (gpu && Number.isInteger(entry.pid) && alive(entry.pid)) apps.push({ gpu, pid: entry.pid, processName: entry.processName, usedMiB: Math.max(0, Math.round(entry.usedMiB)) });
    }
  }
  return apps.sort((a, b) => a.gpu.index - b.gpu.index);
}

/** MiB the registered processes hold on each GPU (by index). */
export function usedMiBByGpu(apps: ComputeApp[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const app of apps) used.set(app.gpu.index, (used.get(app.gpu.index) ?? 0) + app.usedMiB);
  return used;
}
