import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPeerCredentials, readProcessComm, type ReadPeerIds } from './peer-credentials.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('peer credentials: the tests with a client of another uid are skipped (they need root to run a client as nobody)');
const NOBODY = 65534;

let dir: string;
let server: Server;
let accepted: Socket[];
let onAccept: ((s: Socket) => void) | null;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peer-'));
  await chmod(dir, 0o755);
  accepted = [];
  onAccept = null;
  server = createServer((s) => {
    accepted.push(s);
    onAccept?.(s);
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 's.sock'), resolve));
  await chmod(join(dir, 's.sock'), 0o666);
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const nextAccepted = () => new Promise<Socket>((resolve) => (onAccept = resolve));

/** A client in its own process: connects, runs `afterConnect` (JS), writes "ready\n", then holds the connection until killed. */
function clientProcess(ids: { uid: number; gid: number } | null, afterConnect = ''): ChildProcess {
  const script = `
    const s = require('node:net').connect(process.argv[1]);
    s.on('connect', () => { ${afterConnect}; s.write('ready\\n'); });
    s.on('error', (e) => { console.error(e.message); process.exit(3); });`;
  const child = spawn(process.execPath, ['-e', script, join(dir, 's.sock')], { stdio: 'ignore', cwd: '/', ...(ids ?? {}) });
  children.push(child);
  return child;
}

/** Resolves once the accepted socket received "ready". */
const readyOn = (socket: Socket) => new Promise<void>((resolve) => socket.on('data', (d) => String(d).includes('ready') && resolve()));

describe('loadPeerCredentials (SO_PEERCRED through koffi)', () => {
  let read: ReadPeerIds;
  const logged: string[] = [];
  beforeEach(async () => {
    logged.length = 0;
    read = await loadPeerCredentials({ log: (l) => logged.push(l) });
  });

  it('loads on this machine without a word', () => {
    expect(logged).toEqual([]);
  });

  it('names this process when it connects to itself', async () => {
    const socket = nextAccepted();
    const client = connect(join(dir, 's.sock'));
    expect(read(await socket)).toEqual({ pid: process.pid, uid: process.geteuid!(), gid: process.getegid!() });
    client.destroy();
  });

  it('names a client process by its pid, and reads its command name', async () => {
    const socket = nextAccepted();
    const child = clientProcess(null);
    const ids = read(await socket);
    expect(ids?.pid).toBe(child.pid);
    expect(await readProcessComm(child.pid!)).toMatch(/^(node|MainThread)/);
  });

  it.skipIf(!isRoot)('names a client of another uid and gid (root: the client runs as nobody)', async () => {
    const socket = nextAccepted();
    const child = clientProcess({ uid: NOBODY, gid: NOBODY });
    expect(read(await socket)).toEqual({ pid: child.pid, uid: NOBODY, gid: NOBODY });
  });

  it.skipIf(!isRoot)('gives the ids the client had at connect(), not after a later setuid', async () => {
    const socket = nextAccepted();
    const child = clientProcess(null, `process.setgid(${NOBODY}); process.setuid(${NOBODY})`);
    const accepted = await socket;
    await readyOn(accepted); // the client has dropped to nobody by now
    expect(read(accepted)).toEqual({ pid: child.pid, uid: 0, gid: 0 });
  });

  it('is null for a socket without a descriptor', () => {
    expect(read(new Socket())).toBeNull();
  });
});

describe('loadPeerCredentials where SO_PEERCRED cannot be read', () => {
  it.each([
    [{ arch: 'mips' }, /SO_PEERCRED's number on mips is not known/],
    [{ arch: 'ppc64' }, /on ppc64 is not known/],
    [{ platform: 'darwin' }, /Linux only, this is darwin/],
    [{ libc: 'libswitchboard-no-such-libc.so.9' }, /cannot call getsockopt in libswitchboard-no-such-libc.so.9 through koffi: .*No such file/],
  ])('%j: says why once, then answers null', async (override, reason) => {
    const logged: string[] = [];
    const read = await loadPeerCredentials({ log: (l) => logged.push(l), ...override });
    const socket = nextAccepted();
    const client = connect(join(dir, 's.sock'));
    const accepted = await socket;
    expect([read(accepted), read(accepted)]).toEqual([null, null]);
    expect(logged).toEqual([expect.stringMatching(reason)]);
    expect(logged[0]).toMatch(/peer null and only the total connection cap applies/);
    client.destroy();
  });
});

describe('readProcessComm', () => {
  it('reads a live process and is empty for a gone or invalid one', async () => {
    expect(await readProcessComm(process.pid)).not.toBe('');
    expect(await readProcessComm(0)).toBe('');
    expect(await readProcessComm(2 ** 22 + 1)).toBe('');
  });
});
