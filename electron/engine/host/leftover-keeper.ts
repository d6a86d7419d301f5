import type { BackendExit, BackendInstance, BackendLaunch, BackendOutputListener, ProcessBackend } from '../backends/process-backend.js';
import { probeHealth } from '../backends/probe-health.js';
import type { EngineNotices } from '../engine-notices.js';
import { isProcessLive, readProcStat } from '../../system/proc-process.js';
import { findLeftoverServers, stopLeftover, type ExpectedLaunch, type LeftoverServer } from './leftover-servers.js';
import { registerServerGroup } from './live-server-groups.js';
import { waitGroupGone } from '../../system/process-group.js';
import type { ServerRecords } from './server-records.js';

const HEALTH_TIMEOUT_MS = 5_000;
/** How often an adopted server (not our child: no exit event) is looked at. */
const ADOPTED_POLL_MS = 1_000;

export interface LeftoverKeeperOptions {
  records: ServerRecords;
  /** Every launch the engine would make now: each launchable model on its slot's port. */
  expected(): ExpectedLaunch[];
  stopTimeoutMs(): number;
  log(text: string, modelId: string | null): void;
  notices: EngineNotices;
  now?: () => number;
}

/**
 * Makes sure no SGLang server outlives the engine unnoticed. Every server this run starts is
 * recorded in `servers.json` (pid, group, start time, port, model, argv) until it exits. At start and
 * before each launch, servers an earlier run left (found by that record, or on the engine's ports by
 * their exact command line) are stopped — or adopted, when one serves the very model to be loaded
 * with the same arguments and answers /health 200. Foreign processes are never touched.
 */
export class LeftoverKeeper {
  /** Process groups of this run's servers (started or adopted, not yet gone). */
  private readonly current = new Set<number>();
  private readonly now: () => number;

  constructor(private readonly opts: LeftoverKeeperOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The backend of one slot, recording every server it starts. */
  recording(backend: ProcessBackend, slotId: string): ProcessBackend {
    const ownsProcess = backend.ownsProcess?.bind(backend);
    return {
      start: async (launch: BackendLaunch, onOutput: BackendOutputListener) => {
        const instance = await backend.start(launch, onOutput);
        this.track(slotId, launch, instance);
        return instance;
      },
      stop: (instance, timeoutMs) => backend.stop(instance, timeoutMs),
      ...(ownsProcess ? { ownsProcess } : {}),
    };
  }

  /**
   * At engine start: stops every leftover except one per port that serves a catalog model exactly as
   * the engine would launch it and answers /health; returns those, for the engine to load (the load
   * adopts them through takeOver). Records of servers that are gone are dropped.
   */
  async reconcile(): Promise<ExpectedLaunch[]> {
    const { leftovers, foreign } = await this.find();
    const adopt: ExpectedLaunch[] = [];
    for (const leftover of leftovers) {
      const match = leftover.match;
      if (match && leftover.port !== null && this.canAdopt(leftover) && !adopt.some((a) => a.port === leftover.port) && (await healthy(match))) {
        adopt.push(match);
        continue;
      }
      await this.stop(leftover, match ? `${match.modelId} was not ready` : 'it does not match the catalog any more');
    }
    for (const listener of foreign) {
      this.opts.log(`port ${listener.port} is held by pid ${listener.pid} (${listener.command}), not by a server of Switchboard: loads on that port will fail until it is stopped`, null);
    }
    const alive = new Set(leftovers.map((l) => l.pid));
    for (const record of this.opts.records.list()) if (!alive.has(record.pid) && !this.current.has(record.pgid)) void this.opts.records.remove(record.pid);
    return adopt;
  }

  /**
   * Before a launch of `modelId` on host:port: a leftover there that serves this model as launched
   * and answers /health is adopted (returned); any other leftover of the engine's on that port is
   * stopped. A foreign listener is left for the port check to report.
   */
  async takeOver(slotId: string, modelId: string, host: string, port: number): Promise<BackendInstance | undefined> {
    const { leftovers } = await this.find();
    for (const leftover of leftovers.filter((l) => l.port === port || l.record?.port === port)) {
      const match = leftover.match;
      if (match?.modelId === modelId && leftover.port === port && this.canAdopt(leftover) && (await healthy(match))) {
        return this.adopt(slotId, leftover, match);
      }
      await this.stop(leftover, match?.modelId === modelId ? `${modelId} was not ready` : `${modelId} is to be loaded on port ${port}`);
    }
    return undefined;
  }

  private find() {
    return findLeftoverServers({ records: this.opts.records.list(), expected: this.opts.expected(), isCurrent: (pgid) => this.current.has(pgid) });
  }

  /** Only a group leader can be adopted: the backend stops a server by signalling its group. */
  private canAdopt(leftover: LeftoverServer): boolean {
    return leftover.pgid === leftover.pid;
  }

  private adopt(slotId: string, leftover: LeftoverServer, match: ExpectedLaunch): BackendInstance {
    const { pid, pgid } = leftover;
    const since = leftover.record ? ` (running since ${new Date(leftover.record.startedAtMs).toISOString()})` : '';
    const text = `adopted ${match.modelId}'s server left by an earlier run: pid ${pid} on port ${match.port}${since}; its earlier output is not shown`;
    this.opts.log(text, match.modelId);
    this.opts.notices.set(`leftover:${pid}`, 'info', text);
    this.current.add(pgid);
    const unregister = registerServerGroup(pgid);
    const exited = watchAdopted(pid, pgid).then((exit) => {
      unregister();
      this.current.delete(pgid);
      void this.opts.records.remove(pid);
      return exit;
    });
    const stat = readProcStat(pid);
    void this.opts.records.add({
      slotId,
      modelId: match.modelId,
      pid,
      pgid,
      startTicks: stat?.startTicks ?? leftover.record?.startTicks ?? '',
      host: match.host,
      port: match.port,
      argv: match.argv,
      env: match.env,
      startedAtMs: leftover.record?.startedAtMs ?? this.now(),
      enginePid: process.pid,
    });
    return { pid, exited };
  }

  private async stop(leftover: LeftoverServer, why: string): Promise<void> {
    const what = leftover.record ? `${leftover.record.modelId}'s server` : `a server (${leftover.argv.join(' ').slice(0, 200)})`;
    const where = leftover.port === null ? 'not listening yet' : `on port ${leftover.port}`;
    this.opts.log(`stopping ${what} left by an earlier run: pid ${leftover.pid}, ${where}, found by its ${leftover.foundBy} (${why})`, leftover.record?.modelId ?? null);
    // Registered while it is stopped: a second Ctrl-C in the meantime SIGKILLs it with the rest.
    const unregister = registerServerGroup(leftover.pgid);
    try {
      await stopLeftover(leftover, this.opts.stopTimeoutMs());
    } finally {
      unregister();
    }
    await this.opts.records.remove(leftover.pid);
    this.opts.notices.set(`leftover:${leftover.pid}`, 'info', `stopped ${what} left by an earlier run (pid ${leftover.pid}, ${where})`);
  }

  private track(slotId: string, launch: BackendLaunch, instance: BackendInstance): void {
    const pid = instance.pid;
    if (pid === undefined) return;
    const stat = readProcStat(pid);
    const pgid = stat?.pgrp ?? pid;
    this.current.add(pgid);
    const unregister = registerServerGroup(pgid);
    void this.opts.records.add({
      slotId,
      modelId: launch.modelId,
      pid,
      pgid,
      startTicks: stat?.startTicks ?? '',
      host: launch.host,
      port: launch.port,
      argv: launch.argv,
      env: launch.env,
      startedAtMs: this.now(),
      enginePid: process.pid,
    });
    void instance.exited.then(() => {
      unregister();
      this.current.delete(pgid);
      void this.opts.records.remove(pid);
    });
  }
}

function healthy(launch: ExpectedLaunch): Promise<boolean> {
  return probeHealth(launch.host, launch.port, HEALTH_TIMEOUT_MS).then((probe) => probe === 'ready');
}

/** An adopted server is not our child: its end is seen by polling the leader, then waiting for the rest of its group. */
async function watchAdopted(pid: number, pgid: number): Promise<BackendExit> {
  // Unref'd: watching a server must not keep the engine's process alive.
  while (isProcessLive(readProcStat(pid))) await new Promise((r) => setTimeout(r, ADOPTED_POLL_MS).unref());
  await waitGroupGone(pgid, Number.POSITIVE_INFINITY, 200);
  return { code: null, signal: null };
}
