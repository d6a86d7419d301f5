import { runNvidiaSmi } from './run-nvidia-smi.js';

/**
 * GPU memory per process as `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`
 * prints it: one `pid, MiB` line per process and GPU (a TP server's ranks are separate processes; one
 * process on two GPUs has two lines). No line at all when nothing runs. `[N/A]` / `[Not Supported]`
 * memory (some drivers, containers without the host's PID namespace) counts as unknown.
 */
export function parseComputeApps(stdout: string): Map<number, number | null> {
  const byPid = new Map<number, number | null>();
  for (const line of stdout.split('\n')) {
    const [pidText, memText] = line.split(',').map((s) => s.trim());
    if (!pidText || !/^\d+$/.test(pidText)) continue;
    const pid = Number(pidText);
    // `nounits` gives `185`; without it `185 MiB` (as the captures in test/fakes/nvidia-smi/README.md print it).
    const match = memText === undefined ? null : /^(\d+(?:\.\d+)?)(?:\s*MiB)?$/.exec(memText);
    const mib = match ? Number(match[1]) : null;
    const before = byPid.get(pid);
    byPid.set(pid, before === undefined ? mib : before === null || mib === null ? null : before + mib);
  }
  return byPid;
}

/** The compute processes' GPU memory (MiB per pid, summed over its GPUs), or null when nvidia-smi gave no answer. */
export async function readComputeApps(nvidiaSmiPath: string, timeoutMs = 10_000): Promise<Map<number, number | null> | null> {
  const result = await runNvidiaSmi(nvidiaSmiPath, ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { timeoutMs });
  if (result.failure || result.code !== 0) return null;
  return parseComputeApps(result.stdout);
}
