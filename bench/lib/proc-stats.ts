// CPU time and resident memory of processes, from /proc (Linux).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 when unavailable). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid` (all its threads), in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  // Fields after "(comm) ": state is field 3, pgrp 5, utime 14, stime 15.
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1000) / clkTck() : 0;
}

/**
 * CPU time of every live process in process group `pgid` (nginx's master and worker, say), in ms:
 * the scheduler's own account (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds on a CPU, every
 * thread), not utime + stime, whose 10 ms ticks cannot see a proxy that spends 20 µs per chunk.
 * Falls back to the ticks where schedstat is missing. A process that exits between two readings
 * takes its CPU with it: measure around work, not across restarts.
 */
export function groupCpuMs(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const fields = statFields(pid);
    if (!fields || Number(fields[2]) !== pgid) continue;
    total += schedCpuMs(pid) ?? cpuMs(pid);
  }
  return total;
}

/** Sum of the first schedstat field (ns on a CPU) over the process's threads, in ms; null without schedstat. */
function schedCpuMs(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** VmRSS (now) and VmHWM (the peak since start) of `pid`, in MiB. */
export function rssMiB(pid: number): { current: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { current: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
