import { createConnection, createServer, Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeSocketAddress, parseProcNetTcp, readTcpSockets } from './read-tcp-sockets.js';

// Lines as this kernel prints them, captured from /proc/net/tcp{,6} on a Debian 12 VM: a listener on
// 0.0.0.0:2024; a listener on :: (port 0x819F) with two IPv4 clients (their ends in tcp, the server's
// ends in tcp6 as IPv4-mapped); a listener on ::1 (0xA75D) with one client.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 321 1 00000000759fe2f7 100 0 0 10 0
   8: 0100007F:EA7E 0100007F:819F 01 00000000:00000000 00:00000000 00000000     0        0 67927 2 000000003afcc2b8 20 0 0 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:819F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 67924 1 000000004371f568 100 0 0 10 0
   2: 00000000000000000000000001000000:A75D 00000000000000000000000001000000:89E4 01 00000000:00000000 00:00000000 00000000     0        0 67926 1 0000000036a31599 20 0 0 10 -1
   4: 0000000000000000FFFF00000100007F:819F 0000000000000000FFFF00000100007F:EA7E 01 00000000:00000000 00:00000000 00000000     0        0 67928 1 0000000019f03ceb 20 0 0 10 -1
`;

describe('parseProcNetTcp', () => {
  it('reads addresses (little-endian words), ports, state, uid and inode', () => {
    expect(parseProcNetTcp(TCP, 4)).toEqual([
      { localAddress: '0.0.0.0', localPort: 2024, remoteAddress: '0.0.0.0', remotePort: 0, state: '0A', uid: 0, inode: '321' },
      { localAddress: '127.0.0.1', localPort: 60030, remoteAddress: '127.0.0.1', remotePort: 33183, state: '01', uid: 0, inode: '67927' },
    ]);
  });

  it('reads IPv6, ::1 and IPv4-mapped addresses (as plain IPv4, so both files compare alike)', () => {
    expect(parseProcNetTcp(TCP6, 6)).toEqual([
      { localAddress: '::', localPort: 33183, remoteAddress: '::', remotePort: 0, state: '0A', uid: 0, inode: '67924' },
      { localAddress: '::1', localPort: 42845, remoteAddress: '::1', remotePort: 35300, state: '01', uid: 0, inode: '67926' },
      { localAddress: '127.0.0.1', localPort: 33183, remoteAddress: '127.0.0.1', remotePort: 60030, state: '01', uid: 0, inode: '67928' },
    ]);
  });

  it('reads the uid column as a number', () => {
    const line = TCP.split('\n')[2]!.replace(/ {5}0 {8}0 67927/, '  1000        0 67927');
    expect(parseProcNetTcp(`header\n${line}\n`, 4)[0]).toMatchObject({ uid: 1000, inode: '67927' });
  });

  it('skips the header, short lines and malformed endpoints', () => {
    expect(parseProcNetTcp('header\n\n  1: zz 00 0A\n   2: 0100007F:1F42 0100007F 01 0 0 0 0 0 0 0\n', 4)).toEqual([]);
  });

  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['127.0.0.1', '127.0.0.1'],
  ])('normalizes %s to %s', (raw, plain) => {
    expect(normalizeSocketAddress(raw)).toBe(plain);
  });
});

describe('readTcpSockets on this machine', () => {
  const open: Array<Server | Socket> = [];
  afterEach(() => {
    for (const s of open.splice(0)) {
      if (s instanceof Socket) s.destroy();
      else s.close();
    }
  });

  it.each(['127.0.0.1', '::1'])('lists both ends of a live connection on %s', async (host) => {
    const server = createServer();
    open.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = createConnection({ host, port });
    open.push(client);
    await new Promise((resolve) => client.once('connect', resolve));
    open.push(await accepted);
    const entries = await readTcpSockets();
    const clientEnd = entries.find((e) => e.localPort === client.localPort && e.remotePort === port);
    const serverEnd = entries.find((e) => e.localPort === port && e.remotePort === client.localPort);
    expect(clientEnd).toMatchObject({ localAddress: host, remoteAddress: host, state: '01', uid: process.getuid?.() });
    expect(serverEnd).toMatchObject({ state: '01' });
  });
});
