// How a simulated SGLang ends: child failure → SIGQUIT → SIGKILL of the whole tree; SIGTERM
// after uvicorn started → graceful drain polled every 5 s, then SIGKILL of the tree.
import type { SimLogger } from './log-writer.js';
import type { ProcessTree } from './process-tree.js';
import { pyRepr } from './python-repr.js';
import type { SimApp } from './sim-context.js';
import { sleepSim } from './sim-env.js';

/** A scheduler rank raised: it logs the traceback, SIGQUITs the main, which kills everything. */
export function dieFromSchedulerException(log: SimLogger, tree: ProcessTree, ranks: readonly number[], traceback: string, phase: 'loading' | 'running'): never {
  for (const rank of ranks) log.rank(rank, `Scheduler hit an exception: ${traceback}`, 'error');
  if (phase === 'loading') log.main('Received sigquit from a child process. It usually means the child failed.', 'error');
  else log.main('SIGQUIT received. signum=None, frame=None. It usually means one child failed.', 'error');
  return tree.killTreeIncludingSelf();
}

/** An exception in the main process before uvicorn: bare traceback on stderr, exit code 1. */
export function exitWithTraceback(tree: ProcessTree | undefined, traceback: string): never {
  process.stderr.write(traceback);
  tree?.killChildren();
  process.exit(1);
}

/** tokenizer_manager.sigterm_watchdog: polls every 5 s; once exiting, drains then kills the tree. */
async function sigtermWatchdog(app: SimApp): Promise<never> {
  while (!app.gracefullyExiting) await sleepSim(app.env, 5);
  for (;;) {
    const rids = [...app.inFlight];
    if (app.status === 'UnHealthy') {
      // tokenizer_manager.sigterm_watchdog: a failed health check forces the exit.
      app.log.main('Signal SIGTERM received while health check failed. Force exiting.', 'error');
      break;
    }
    if (app.env.forceShutdown) {
      app.log.main(`Signal SIGTERM received while force shutdown flag set. Force exiting... remaining number of requests ${rids.length}`, 'error');
      break;
    }
    app.log.main(`Gracefully exiting... Remaining number of requests ${rids.length}. Remaining requests remaining_rids=${pyRepr(rids)}.`);
    if (rids.length === 0) break;
    await sleepSim(app.env, 5);
  }
  return app.tree.killTreeIncludingSelf();
}

/** Installs SGLang's SIGTERM handler (tokenizer manager) and starts the watchdog loop. */
export function installGracefulShutdown(app: SimApp): void {
  process.on('SIGTERM', () => {
    if (app.gracefullyExiting) return;
    app.log.main('SIGTERM received. signum=None frame=None. Draining requests and shutting down...');
    app.gracefullyExiting = true;
  });
  void sigtermWatchdog(app);
}
