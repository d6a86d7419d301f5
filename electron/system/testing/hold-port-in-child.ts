import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A child process that listens on a TCP port until killed (test support). */
export interface PortHolder {
  child: ChildProcess;
  pid: number;
  port: number;
  kill(): Promise<void>;
}

const LISTENER_SOURCE = `
const server = require('node:net').createServer();
server.listen({ host: process.argv[1], port: Number(process.argv[2]) }, () => console.log(server.address().port));
`;

/** Spawns `node -e …` listening on host:port (port 0 = any free one); resolves once it listens. */
export async function holdPortInChild(host = '127.0.0.1', port = 0): Promise<PortHolder> {
  const child = spawn(process.execPath, ['-e', LISTENER_SOURCE, host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const listenPort = Number(chunk.toString().trim());
  return {
    child,
    pid: child.pid!,
    port: listenPort,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
