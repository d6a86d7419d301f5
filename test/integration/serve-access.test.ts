// `switchboard serve` beyond loopback: it refuses to start without an admin key, and once it has
// one, the admin API answers under the host's own addresses but not under a foreign Host name.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { stopGracefully } from './support/stop-gracefully.js';
import { CLI_BIN, createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const ADMIN_KEY = 'lan-admin-key-0123456789abcdef';
const started: ChildProcess[] = [];
let host: SimHost | undefined;

afterEach(async () => {
  for (const child of started.splice(0)) await stopGracefully(child);
  await host?.cleanup();
  host = undefined;
});

function startServe(configPath: string, extraArgs: string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--config', configPath, '--state-dir', join(host!.dir, 'state'), ...extraArgs], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function writeCatalog(router: Record<string, unknown>): Promise<string> {
  const path = join(host!.dir, 'switchboard.yaml');
  await writeCatalogFile(path, { ...host!.catalogInput, router: { ...host!.catalogInput.router, ...router } });
  return path;
}

/** This machine's first non-loopback IPv4 address, if it has one. */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal)?.address;
}

describe('serve on a non-loopback address', () => {
  it('refuses to start without router.adminKeys, saying how to set one — and never launches anything', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const config = await writeCatalog({ host: '0.0.0.0' });
    const serve = startServe(config);
    expect(await serve.exited).toBe(1);
    expect(serve.output()).toContain('refusing to serve on 0.0.0.0 without router.adminKeys');
    expect(serve.output()).toContain('openssl rand -hex 32');
    expect(serve.output()).toContain('ssh -L');
    expect(await host.launches()).toEqual([]);
  });

  it('refuses --host 0.0.0.0 on a loopback catalog the same way', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const serve = startServe(await writeCatalog({}), ['--host', '0.0.0.0']);
    expect(await serve.exited).toBe(1);
    expect(serve.output()).toContain('refusing to serve on 0.0.0.0 without router.adminKeys');
  });

  it('refuses admin keys in a catalog every user can read', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const config = await writeCatalog({ host: '0.0.0.0', adminKeys: [ADMIN_KEY] });
    await chmod(config, 0o644);
    const serve = startServe(config);
    expect(await serve.exited).toBe(1);
    expect(serve.output()).toMatch(/router\.adminKeys: .* holds admin keys but every user can read it \(mode 644\); chmod o-r it/);
  });

  it('with an admin key: answers the admin API under its own addresses with that key only, and refuses a foreign Host', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const config = await writeCatalog({ host: '0.0.0.0', adminKeys: [ADMIN_KEY], apiKeys: ['sk-lan-inference'] });
    const serve = startServe(config);
    const port = host.catalog.router.port;
    const url = `http://127.0.0.1:${port}`;
    await waitFor(() => {
      if (serve.child.exitCode !== null) throw new Error(`serve exited: ${serve.output()}`);
      return serve.output().includes('UI: ');
    }, 'serve to listen');
    const get = async (hostHeader: string, key: string) => {
      const res = await request(`${url}/api/state`, { headers: { host: hostHeader, authorization: `Bearer ${key}` } });
      await res.body.dump();
      return res.statusCode;
    };
    expect(await get(`127.0.0.1:${port}`, ADMIN_KEY)).toBe(200);
    expect(await get(`127.0.0.1:${port}`, 'sk-lan-inference')).toBe(401);
    const token = (await readFile(join(host.dir, 'state', 'admin-token'), 'utf8')).trim();
    expect(await get(`127.0.0.1:${port}`, token)).toBe(200);
    const lan = lanAddress();
    if (lan) expect(await get(`${lan}:${port}`, ADMIN_KEY)).toBe(200);
    else console.log('serve-access: this machine has no non-loopback IPv4 address; the LAN Host case was not checked');
    expect(await get(`gpu-box.evil.example:${port}`, ADMIN_KEY)).toBe(403);
  });
});
