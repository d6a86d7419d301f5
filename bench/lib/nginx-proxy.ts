// apt's nginx as a reverse proxy to the same simulator: the yardstick a router on the hot path is
// held to. One worker, buffering off, keep-alive upstream — what someone would write to put nginx
// in front of SGLang for streaming.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

/** A running nginx (master + one worker), its own process group. */
export interface NginxProxy {
  url: string;
  /** The master's pid, which is also the process group. */
  pgid: number;
  /** nginx -v, e.g. "nginx/1.22.1". */
  version: string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary (`BENCH_NGINX`, else the usual places), or null when it is not installed. */
export function findNginx(): string | null {
  const fromEnv = process.env.BENCH_NGINX;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** The config the bench runs nginx with (written to `dir`, which also holds its temp and log files). */
export function nginxConfig(dir: string, port: number, upstream: URL): string {
  return `# Written by the Switchboard bench: nginx in front of the SGLang simulator, tuned for streaming.
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream sglang {
    server ${upstream.hostname}:${upstream.port};
    keepalive 1024;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://sglang;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 3600s;
      tcp_nodelay on;
    }
  }
}
`;
}

/** Starts nginx on `port` in front of `upstream`; resolves once it accepts connections. */
export async function startNginx(binary: string, dir: string, port: number, upstream: string): Promise<NginxProxy> {
  await mkdir(dir, { recursive: true });
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, nginxConfig(dir, port, new URL(upstream)));
  const version = await nginxVersion(binary);
  const child = spawn(binary, ['-c', confPath, '-p', dir], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilListening(url, child, () => stderr);
  return {
    url,
    pgid: child.pid!,
    version,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGQUIT'); // graceful: the master stops its worker
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function canConnect(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function nginxVersion(binary: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    child.on('close', () => resolve(/nginx\/[\w.]+/.exec(text)?.[0] ?? text.trim()));
    child.on('error', () => resolve('unknown'));
  });
}

async function waitUntilListening(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr()}`);
    if (await canConnect(url)) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${url} within 10 s: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
