import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPeerInode, lookupPeerCredentials, parseProcStatusIds } from './peer-credentials.js';

// `ss -xHn` as iproute2 6.1 prints it: the accepted end shows the listener's path, the client end '*'.
const SS_OUTPUT = [
  'u_str ESTAB 0      0                       * 130385                  * 130386',
  'u_str ESTAB 0      0      /run/sglang-switchboard/helper.sock 130386  * 130385',
  'u_str ESTAB 0      0      /run/my socket with spaces 140001        * 140000',
  'u_seq ESTAB 0      0      @/tmp/.X11-unix/X0 150002  * 0',
  '',
].join('\n');

describe('findPeerInode', () => {
  it.each([
    [130386, 130385],
    [130385, 130386],
    [140001, 140000],
    [150002, 0],
    [999, null],
  ])('local inode %d → peer %s', (own, peer) => {
    expect(findPeerInode(SS_OUTPUT, own)).toBe(peer);
  });
});

describe('parseProcStatusIds', () => {
  it('reads the effective ids (second column)', () => {
    const status = 'Name:\tnode\nUid:\t1000\t0\t0\t0\nGid:\t1000\t27\t27\t27\n';
    expect(parseProcStatusIds(status)).toEqual({ uid: 0, gid: 27 });
  });
  it('is null without Uid/Gid lines', () => {
    expect(parseProcStatusIds('Name:\tnode\n')).toBeNull();
  });
});

const hasSs = (() => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasSs)('lookupPeerCredentials on a real connection (needs ss from iproute2)', () => {
  it('finds the connecting process (here: this one)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peer-'));
    const path = join(dir, 's.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer(resolve);
      server.listen(path, () => connect(path));
      server.unref();
    });
    const creds = await lookupPeerCredentials(await accepted);
    expect(creds).toEqual({ pid: process.pid, uid: process.geteuid!(), gid: process.getegid!(), comm: expect.any(String) });
    await rm(dir, { recursive: true, force: true });
  });

  it('is null when ss fails', async () => {
    const socket = { _handle: { fd: 0 } } as unknown as Socket;
    expect(await lookupPeerCredentials(socket, () => Promise.reject(new Error('ENOENT')))).toBeNull();
  });
});
