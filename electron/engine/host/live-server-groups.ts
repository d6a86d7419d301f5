import { signalGroup } from '../../system/process-group.js';

/** Process groups of the SGLang servers this process runs (started or adopted, not yet gone). */
const groups = new Set<number>();
let exitHookInstalled = false;

/**
 * Registers a server's process group for the last-resort kill: should this process end while the
 * group lives (a second Ctrl-C or SIGTERM that cannot wait for a graceful stop, an uncaught
 * exception), `killServerGroupsNow` — also run on `process.on('exit')` — SIGKILLs it, so no server
 * is left holding the GPUs. A SIGKILL of this process itself leaves them; the next start finds them
 * through servers.json (LeftoverKeeper).
 */
export function registerServerGroup(pgid: number): () => void {
  groups.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killServerGroupsNow);
  }
  return () => groups.delete(pgid);
}

/** SIGKILLs every registered group at once (synchronous: safe in an exit handler). Returns how many. */
export function killServerGroupsNow(): number {
  let killed = 0;
  for (const pgid of groups) {
    try {
      signalGroup(pgid, 'SIGKILL');
      killed += 1;
    } catch {
      // EPERM: not ours to kill any more; nothing else can be done on the way out
    }
  }
  groups.clear();
  return killed;
}
