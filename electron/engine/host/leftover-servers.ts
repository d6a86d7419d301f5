import { isProcessLive, readProcArgv, readProcEnviron, readProcStat } from '../../system/proc-process.js';
import { findPortOwner } from '../../system/find-port-owner.js';
import { isGroupAlive, listGroupMembers, signalGroup, waitGroupGone } from '../../system/process-group.js';
import type { ServerRecord } from './server-records.js';

/** A launch the engine would make on a port: what an earlier run's server there must match to be ours. */
export interface ExpectedLaunch {
  slotId: string;
  modelId: string;
  host: string;
  port: number;
  argv: string[];
  env: Record<string, string>;
}

/** A server an earlier run of the engine left behind. */
export interface LeftoverServer {
  /** The process to stop as a whole; the recorded group, or the listener's group when it leads one. */
  pgid: number;
  /** The recorded process, or the listener. */
  pid: number;
  argv: string[];
  /** The port it listens on, when it is one of the engine's ports; null for one that is not (yet) listening. */
  port: number | null;
  /** How it was found: in servers.json, or by its command line on one of the engine's ports. */
  foundBy: 'record' | 'command line';
  record?: ServerRecord;
  /** The model whose launch (argv and environment) it matches on its port, if any. */
  match?: ExpectedLaunch;
}

/** A process on one of the engine's ports that is not the engine's. */
export interface ForeignListener {
  pid: number;
  command: string;
  port: number;
}

/**
 * Finds what earlier runs left: every recorded server still alive (same pid and start time, or its
 * group still holding members after the leader died), and every listener on the engine's ports whose
 * command line is exactly one of the engine's launches for that port. A listener that is neither is
 * foreign: never touched, reported so the launch can say `port_busy` with its pid and command.
 * `isCurrent(pgid)` names this run's own servers (skipped).
 */
export async function findLeftoverServers(input: {
  records: ServerRecord[];
  expected: ExpectedLaunch[];
  isCurrent(pgid: number): boolean;
}): Promise<{ leftovers: LeftoverServer[]; foreign: ForeignListener[] }> {
  const leftovers: LeftoverServer[] = [];
  const seenGroups = new Set<number>();
  for (const record of input.records) {
    if (input.isCurrent(record.pgid) || seenGroups.has(record.pgid)) continue;
    const stat = readProcStat(record.pid);
    const leaderIsOurs = isProcessLive(stat) && stat.startTicks === record.startTicks;
    // A dead leader's group id cannot be reused while members remain: those are our orphans.
    const orphans = !leaderIsOurs && stat === null && listGroupMembers(record.pgid).length > 0;
    if (!leaderIsOurs && !orphans) continue;
    seenGroups.add(record.pgid);
    leftovers.push({ pgid: record.pgid, pid: record.pid, argv: record.argv, port: null, foundBy: 'record', record });
  }
  const foreign: ForeignListener[] = [];
  const ports = new Map<string, ExpectedLaunch[]>();
  for (const launch of input.expected) ports.set(`${launch.host} ${launch.port}`, [...(ports.get(`${launch.host} ${launch.port}`) ?? []), launch]);
  for (const launches of ports.values()) {
    const { host, port } = launches[0]!;
    const owner = await findPortOwner(port, host);
    if (!owner) continue;
    const stat = readProcStat(owner.pid);
    if (!isProcessLive(stat) || input.isCurrent(stat.pgrp)) continue;
    const known = leftovers.find((l) => l.pgid === stat.pgrp || l.pid === owner.pid);
    if (known) {
      // The recorded launch (a start script's listener is its child, with another command line).
      known.port = port;
      const match = launches.find((launch) => recordedLaunchIs(known.record!, launch));
      if (match) known.match = match;
      continue;
    }
    const argv = readProcArgv(owner.pid) ?? [];
    const match = launches.find((launch) => sameLaunch(launch, argv, owner.pid));
    if (!match) {
      foreign.push({ pid: owner.pid, command: owner.command, port });
      continue;
    }
    // Found by its command line alone: signal its group only when it leads one (as the engine's launches do).
    leftovers.push({ pgid: stat.pgrp === owner.pid ? stat.pgrp : owner.pid, pid: owner.pid, argv, port, foundBy: 'command line', match });
  }
  return { leftovers, foreign };
}

/** True when the process runs exactly this launch: the same argv, and the launch's environment where /proc shows it. */
export function sameLaunch(launch: Pick<ExpectedLaunch, 'argv' | 'env'>, argv: string[], pid: number): boolean {
  if (argv.length !== launch.argv.length || argv.some((arg, i) => arg !== launch.argv[i])) return false;
  const environ = readProcEnviron(pid);
  if (!environ) return true; // unreadable (another user's): the argv has to do
  return Object.entries(launch.env).every(([key, value]) => environ.get(key) === value);
}

function recordedLaunchIs(record: ServerRecord, launch: ExpectedLaunch): boolean {
  if (record.port !== launch.port || record.host !== launch.host || record.modelId !== launch.modelId) return false;
  if (record.argv.length !== launch.argv.length || record.argv.some((arg, i) => arg !== launch.argv[i])) return false;
  const keys = new Set([...Object.keys(record.env), ...Object.keys(launch.env)]);
  return [...keys].every((key) => record.env[key] === launch.env[key]);
}

/** Stops a leftover's whole group: SIGTERM, SIGKILL after `timeoutMs`; resolves when none of it is left. */
export async function stopLeftover(leftover: Pick<LeftoverServer, 'pgid' | 'pid'>, timeoutMs: number): Promise<void> {
  const group = leftover.pgid === leftover.pid || isGroupAlive(leftover.pgid);
  const signal = (name: NodeJS.Signals) => (group ? signalGroup(leftover.pgid, name) : killQuietly(leftover.pid, name));
  const gone = () => (group ? waitGroupGone(leftover.pgid, timeoutMs) : waitPidGone(leftover.pid, timeoutMs));
  signal('SIGTERM');
  if (await gone()) return;
  signal('SIGKILL');
  if (group) await waitGroupGone(leftover.pgid, Number.POSITIVE_INFINITY);
  else await waitPidGone(leftover.pid, Number.POSITIVE_INFINITY);
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessLive(readProcStat(pid))) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
