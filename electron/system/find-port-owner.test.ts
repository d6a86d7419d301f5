import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findPortOwner, isPortFree, waitForPortFree } from './find-port-owner.js';
import { holdPortInChild, type PortHolder } from './testing/hold-port-in-child.js';

const holders: PortHolder[] = [];
afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.kill()));
});

async function hold(host?: string): Promise<PortHolder> {
  const holder = await holdPortInChild(host);
  holders.push(holder);
  return holder;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.runIf(process.platform === 'linux')('findPortOwner', () => {
  it('finds the pid and command line of a listener in another process', async () => {
    const holder = await hold();
    const owner = await findPortOwner(holder.port, '127.0.0.1');
    expect(owner?.pid).toBe(holder.pid);
    expect(owner?.command).toMatch(/node.* -e /);
  });

  it('finds an IPv6 wildcard listener when asked about 127.0.0.1', async () => {
    const holder = await hold('::');
    const owner = await findPortOwner(holder.port, '127.0.0.1');
    expect(owner?.pid).toBe(holder.pid);
  });

  it('finds a listener of this very process', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect((await findPortOwner(port))?.pid).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('returns null for a port nobody listens on', async () => {
    expect(await findPortOwner(await freePort(), '127.0.0.1')).toBeNull();
  });
});

describe('isPortFree / waitForPortFree', () => {
  it('reports a held port busy and a released one free', async () => {
    const holder = await hold();
    expect(await isPortFree('127.0.0.1', holder.port)).toBe(false);
    expect(await waitForPortFree('127.0.0.1', holder.port, 50, 10)).toBe(false);
    const waiting = waitForPortFree('127.0.0.1', holder.port, 10_000, 10);
    await holder.kill();
    expect(await waiting).toBe(true);
  });
});
