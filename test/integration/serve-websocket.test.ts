import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { stopGracefully } from './support/stop-gracefully.js';
import { CLI_BIN, createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const started: ChildProcess[] = [];
const cleanups: Array<() => void> = [];
let host: SimHost | undefined;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const child of started.splice(0)) await stopGracefully(child);
  await host?.cleanup();
  host = undefined;
});

describe('switchboard serve offers /api/ws and /ui/', () => {
  it('answers the engine API over the WebSocket with the admin token from the state dir, and closes it on SIGTERM', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const configPath = join(host.dir, 'switchboard.yaml');
    await writeCatalogFile(configPath, { ...host.catalogInput, router: { ...host.catalogInput.router, apiKeys: ['serve-key'] } });
    const child = spawn(process.execPath, [CLI_BIN, 'serve', '--config', configPath, '--state-dir', join(host.dir, 'state')], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const url = `http://127.0.0.1:${host.catalog.router.port}`;
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`serve exited: ${output}`);
      return output.includes(`UI: ${url}/ui/`);
    }, 'serve to print its UI address');

    const ui = await request(`${url}/ui/`);
    await ui.body.dump();
    expect([200, 503]).toContain(ui.statusCode); // 503 when the renderer has not been built

    const tokenFile = join(host.dir, 'state', 'admin-token');
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(output).toContain(`admin token: ${tokenFile}`);
    const adminToken = (await readFile(tokenFile, 'utf8')).trim();
    const api = createWebSocketTransport({ url: `ws://127.0.0.1:${host.catalog.router.port}/api/ws`, adminKey: () => adminToken, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
    cleanups.push(() => api.close?.());
    const states: string[] = [];
    api.onConnection!((s) => states.push(s));
    const events: ApiEvent[] = [];
    api.subscribe((batch) => events.push(...batch));
    expect((await api.call('models.list', {})).map((m) => m.id)).toEqual(['alpha']);
    expect((await api.call('settings.get', {})).router.apiKeyCount).toBe(1);
    expect(events[0]).toMatchObject({ type: 'state', state: { models: [{ id: 'alpha' }] } });

    child.kill('SIGTERM');
    await waitFor(() => states.at(-1) === 'closed', 'the socket to close when serve stops');
    await waitFor(() => child.exitCode !== null, 'serve to exit', 20_000);
    expect(child.exitCode).toBe(0);
  });
});
