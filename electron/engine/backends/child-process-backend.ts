import { spawn, type ChildProcess } from 'node:child_process';
import { isGroupAlive, signalGroup, waitGroupGone } from '../../system/process-group.js';
import type { BackendExit, BackendInstance, BackendLaunch, BackendOutputListener, ProcessBackend } from './process-backend.js';

interface ChildInstance extends BackendInstance {
  readonly child: ChildProcess;
  /** Resolves when the leader process exits (the group may still hold children). */
  readonly leaderExited: Promise<BackendExit>;
}

/**
 * Runs SGLang as a child process in its own process group. Stopping signals the whole group,
 * so SGLang's scheduler and detokenizer processes go with it.
 */
export class ChildProcessBackend implements ProcessBackend {
  async start(launch: BackendLaunch, onOutput: BackendOutputListener): Promise<BackendInstance> {
    const [command, ...args] = launch.argv;
    if (!command) throw new Error('empty launch command');
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...launch.env, NO_PROXY: mergeNoProxy(process.env.NO_PROXY), no_proxy: mergeNoProxy(process.env.no_proxy) },
    });
    await waitForSpawn(child);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => onOutput('stdout', chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => onOutput('stderr', chunk));
    const leaderExited = new Promise<BackendExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const pid = child.pid!;
    // SGLang's children die with their parent; anything still in the group after the leader is gone is debris.
    const exited = leaderExited.then(async (exit) => {
      if (isGroupAlive(pid)) {
        signalGroup(pid, 'SIGKILL');
        await waitGroupGone(pid, Number.POSITIVE_INFINITY);
      }
      return exit;
    });
    const instance: ChildInstance = { pid, child, leaderExited, exited };
    return instance;
  }

  async stop(instance: BackendInstance, timeoutMs: number): Promise<BackendExit> {
    const pid = instance.pid;
    if (pid === undefined) return instance.exited;
    if (!isGroupAlive(pid)) return instance.exited;
    signalGroup(pid, 'SIGTERM');
    const gone = await waitGroupGone(pid, timeoutMs);
    if (!gone) signalGroup(pid, 'SIGKILL');
    return instance.exited;
  }
}

/** SGLang's own warmup calls http://host:port; a proxy in the environment breaks it (reference §6). */
function mergeNoProxy(existing: string | undefined): string {
  const hosts = new Set(
    (existing ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const h of ['127.0.0.1', 'localhost', '0.0.0.0', '::1']) hosts.add(h);
  return [...hosts].join(',');
}

function waitForSpawn(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(err));
  });
}
