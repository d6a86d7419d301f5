import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findTcpPeerUid, isLoopbackAddress, matchPeerUid } from './find-tcp-peer-uid.js';
import type { TcpSocketEntry } from './read-tcp-sockets.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('find-tcp-peer-uid: skipping the other-user case (starting a client as nobody needs root)');
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** Listens on `host`, resolves each accepted connection. */
async function listen(host: string): Promise<{ port: number; accepted: () => Promise<Socket> }> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () =>
      new Promise((resolve) =>
        server.once('connection', (s) => {
          sockets.push(s);
          resolve(s);
        }),
      ),
  };
}

describe('findTcpPeerUid on real loopback connections', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::', '127.0.0.1'], // a dual-stack listener sees ::ffff:127.0.0.1; the client is in /proc/net/tcp
  ])("names this process's uid for a client of a listener on %s (client via %s)", async (listenHost, connectHost) => {
    const server = await listen(listenHost);
    const accepted = server.accepted();
    const client = createConnection({ host: connectHost, port: server.port });
    sockets.push(client);
    const socket = await accepted;
    expect(await findTcpPeerUid(socket)).toBe(process.getuid?.());
  });

  it.runIf(isRoot)('names the uid of a client process running as another user (nobody)', async () => {
    const server = await listen('127.0.0.1');
    const accepted = server.accepted();
    const script =
      "const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1'); s.on('connect', () => process.stdout.write('up')); process.stdin.on('end', () => s.destroy()); process.stdin.resume();";
    const child = spawn(process.execPath, ['-e', script, String(server.port)], { uid: NOBODY, gid: NOBODY, cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      expect(await findTcpPeerUid(await accepted)).toBe(NOBODY);
    } finally {
      child.stdin!.end();
      child.kill();
    }
  });

  it('is null once the client has gone', async () => {
    const server = await listen('127.0.0.1');
    const accepted = server.accepted();
    const client = createConnection({ host: '127.0.0.1', port: server.port });
    const socket = await accepted;
    const ends = { localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    expect(await findTcpPeerUid(ends)).toBe(process.getuid?.());
    const closed = new Promise((resolve) => socket.once('end', resolve));
    client.destroy();
    await closed;
    // Either gone from the table or lingering in FIN/close states: never "established".
    expect(await findTcpPeerUid(ends)).toBeNull();
  });
});

describe('matchPeerUid', () => {
  const entry = (over: Partial<TcpSocketEntry>): TcpSocketEntry => ({
    localAddress: '127.0.0.1',
    localPort: 50000,
    remoteAddress: '127.0.0.1',
    remotePort: 8002,
    state: '01',
    uid: 1000,
    inode: '1',
    ...over,
  });
  const ends = { localAddress: '127.0.0.1', localPort: 8002, remoteAddress: '127.0.0.1', remotePort: 50000 };

  it.each([
    ['the client end', [entry({})], 1000],
    ['the client end among others', [entry({ localPort: 50001, uid: 5 }), entry({ localPort: 8002, remotePort: 50000, uid: 0 }), entry({})], 1000],
    ['a socket on another address', [entry({ localAddress: '127.0.0.2' })], null],
    ['a socket no longer established', [entry({ state: '06' })], null],
    ['nothing', [], null],
  ])('%s → %s', (_what, entries, uid) => {
    expect(matchPeerUid(entries, ends)).toBe(uid);
  });

  it('is null for a connection from another host without reading anything', async () => {
    expect(await findTcpPeerUid({ ...ends, remoteAddress: '192.168.1.9' })).toBeNull();
  });

  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.168.1.9', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
  ])('isLoopbackAddress(%s) = %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
