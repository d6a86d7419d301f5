import type { ChildProcess } from 'node:child_process';
import { listGroupMembers } from '../../../electron/system/process-group.js';
import { waitFor } from './sim-host.js';

/**
 * Ends a `switchboard serve` child: SIGTERM first, because serve stops its SGLang backend (which runs
 * in a process group of its own) only on a graceful stop; then SIGKILL whatever is left of its group.
 */
export async function stopGracefully(child: ChildProcess): Promise<void> {
  if (!child.pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 'serve to stop', 20_000).catch(() => undefined);
  }
  if (listGroupMembers(child.pid).length > 0) process.kill(-child.pid, 'SIGKILL');
}
