// What /proc tells about one process: its state, process group and start time (which, with the
// pid, names a process for good: pids are reused, a pid and a start time are not), its argv and
// its environment. Linux only; every reader returns null when the process is gone or unreadable.

import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T … (Z and X: dead, waiting to be reaped). */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22, `starttime`: clock ticks after boot. Compared as a string (no arithmetic is done with it). */
  startTicks: string;
}

/** /proc/<pid>/stat, or null when the process does not exist (or /proc is not there). */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may contain spaces and parentheses: the fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const startTicks = rest[19];
  if (rest.length < 20 || startTicks === undefined) return null;
  return { pid, state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks };
}

/** True while the process exists and is not a zombie. */
export function isProcessLive(stat: ProcStat | null): stat is ProcStat {
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The process's argv, or null when it is gone, a kernel thread, or unreadable. */
export function readProcArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw.length === 0) return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** The process's environment as it was at exec, or null when unreadable (another user's process). */
export function readProcEnviron(pid: number): Map<string, string> | null {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return null;
  }
  const env = new Map<string, string>();
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}
