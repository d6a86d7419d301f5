import { connect } from 'node:net';
import { HELPER_PROTOCOL_VERSION, helperResponseSchema } from '../../shared/helper-protocol.js';

/** What answers on a socket path: nothing (stale file), a helper (with its pid), or something else. */
export type SocketProbe = { kind: 'stale' } | { kind: 'helper'; pid: number | null } | { kind: 'other'; detail: string };

const PROBE_TIMEOUT_MS = 2000;

/** Connects to `socketPath` and asks for `status`; a refused connection means the socket is stale. */
export function probeHelperSocket(socketPath: string): Promise<SocketProbe> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let text = '';
    const finish = (probe: SocketProbe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ kind: 'other', detail: 'it accepted a connection but did not answer a status request' }));
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: HELPER_PROTOCOL_VERSION, id: 'probe', op: 'status' })}\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl !== -1) finish(helperProbe(text.slice(0, nl)));
    });
    socket.on('end', () => finish(helperProbe(text)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish({ kind: 'stale' });
      else finish({ kind: 'other', detail: `connecting failed: ${err.code ?? err.message}` });
    });
  });
}

function helperProbe(line: string): SocketProbe {
  try {
    const response = helperResponseSchema.parse(JSON.parse(line));
    const pid = response.ok ? (response.result as { pid?: unknown }).pid : undefined;
    return { kind: 'helper', pid: typeof pid === 'number' ? pid : null };
  } catch {
    return { kind: 'other', detail: 'it answered, but not as a switchboard helper' };
  }
}
