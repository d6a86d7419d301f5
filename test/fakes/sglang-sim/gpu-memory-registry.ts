// What the simulated server holds on each GPU, published for the fake nvidia-smi (test/fakes/nvidia-smi):
// one JSON file per simulator, `<FAKE_NVIDIA_SMI_STATE>.procs/<main pid>.json`, replaced atomically (temp
// file + rename) on every change. Each entry is one scheduler rank: its own pid and process title (real
// nvidia-smi lists `sglang::scheduler` / `sglang::scheduler_TP<n>`, the processes that hold the memory),
// the GPU it runs on (a CUDA_VISIBLE_DEVICES entry: an index or a UUID) and the MiB it holds. The reader
// ignores files whose owner is dead (a SIGKILLed simulator cannot clean up) and entries whose pid is gone.
// Nothing happens unless FAKE_NVIDIA_SMI_STATE is set.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One rank's line in the registry file. */
export interface RegisteredProcess {
  pid: number;
  processName: string;
  /** The GPU as CUDA sees it after CUDA_VISIBLE_DEVICES: an index (`"3"`) or a UUID (`"GPU-…"`). */
  gpu: string;
  usedMiB: number;
}

/** The file's shape (read by test/fakes/nvidia-smi/compute-apps.ts). */
export interface RegistryFile {
  version: 1;
  /** The simulator's main process; `startTicks` (field 22 of /proc/<pid>/stat) guards against pid reuse. */
  owner: { pid: number; startTicks: string | null };
  processes: RegisteredProcess[];
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null off Linux. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** `<state>.procs`, the folder beside the fake nvidia-smi's state file. */
export function registryDir(statePath: string): string {
  return `${statePath}.procs`;
}

export class GpuMemoryRegistry {
  private readonly file: string | undefined;
  private readonly owner = { pid: process.pid, startTicks: processStartTicks(process.pid) };

  constructor(statePath: string | undefined) {
    if (statePath === undefined) return;
    const dir = registryDir(statePath);
    try {
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, `${process.pid}.json`);
    } catch {
      this.file = undefined;
    }
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  /** Replaces what this simulator holds (one entry per live rank) and republishes the file. */
  publish(processes: readonly RegisteredProcess[]): void {
    if (this.file === undefined) return;
    const body: RegistryFile = { version: 1, owner: this.owner, processes: [...processes] };
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(body)}\n`);
      renameSync(temp, this.file);
    } catch {
      // The folder was removed under us (a test cleaning up): nothing to publish to.
    }
  }

  /** Removes the file (process exit: the driver frees everything the process held). */
  clear(): void {
    if (this.file === undefined) return;
    try {
      unlinkSync(this.file);
    } catch {
      // never written, or already gone
    }
  }
}
