import type { Failure } from '../../../shared/failure.js';
import type { ProcessBackend } from '../backends/process-backend.js';
import { EngineError } from '../../../shared/engine-error.js';
import { findPortOwner, waitForPortFree } from '../../system/find-port-owner.js';

/** A previous instance's socket may linger a moment after its process group is gone. */
const PORT_RELEASE_WAIT_MS = 3_000;

/** Resolves when the port is free (or held by the backend's own process); throws a port_busy failure naming the holder. */
export async function ensurePortFree(host: string, port: number, backend: ProcessBackend): Promise<void> {
  if (await waitForPortFree(host, port, PORT_RELEASE_WAIT_MS)) return;
  const owner = await findPortOwner(port, host);
  if (owner && backend.ownsProcess?.(owner.pid)) return;
  const who = owner ? `pid ${owner.pid} (${owner.command})` : 'another process';
  const failure: Failure = {
    cause: 'port_busy',
    message: `backend port ${port} on ${host} is already in use by ${who}`,
    hint: 'stop that process or change backend.port',
    atMs: Date.now(),
  };
  throw new EngineError('conflict', failure.message, { failure });
}
