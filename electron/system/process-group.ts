import { readdirSync } from 'node:fs';
import { isProcessLive, readProcStat } from './proc-process.js';

/**
 * Live (non-zombie) members of a process group, read from /proc.
 * `kill(-pgid, 0)` is not enough: orphans that exit become zombies when PID 1 does not reap them
 * (containers), and a zombie still answers signal 0.
 */
export function listGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return isGroupSignalable(pgid) ? [pgid] : [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (isProcessLive(stat) && stat.pgrp === pgid) members.push(Number(name));
  }
  return members;
}

/** True while any live process of the group exists. */
export function isGroupAlive(pgid: number): boolean {
  return isGroupSignalable(pgid) && listGroupMembers(pgid).length > 0;
}

/** Sends a signal to every process of the group; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Polls until the group has no live member; false when `timeoutMs` passed first. */
export async function waitGroupGone(pgid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

function isGroupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
