import { chmod, chown, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminTokenOf, adminTokenPath, ensureAdminToken, readAdminToken } from './admin-token.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchboard-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureAdminToken', () => {
  it('creates a 256-bit token in a mode-0600 file, and returns the same one on the next start', async () => {
    const stateDir = join(dir, 'state');
    const token = await ensureAdminToken(stateDir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const info = await stat(adminTokenPath(stateDir));
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await readFile(adminTokenPath(stateDir), 'utf8')).trim()).toBe(token);
    expect(await ensureAdminToken(stateDir)).toBe(token);
    expect(await readAdminToken(stateDir)).toBe(token);
  });

  it('gives engines racing on one state dir the same token, and leaves no temp file', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => ensureAdminToken(dir)));
    expect(new Set(tokens).size).toBe(1);
    expect((await readFile(adminTokenPath(dir), 'utf8')).trim()).toBe(tokens[0]);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['admin-token']);
  });

  it.each([
    [
      'other users could read it',
      async (path: string) => {
        await writeFile(path, 'a'.repeat(43));
        await chmod(path, 0o644);
      },
      /could be read by other users \(mode 644\)/,
    ],
    ['it holds no token', async (path: string) => writeFile(path, 'hunter2', { mode: 0o600 }), /holds no valid token/],
    [
      'it is a symbolic link',
      async (path: string) => {
        await writeFile(join(dir, 'elsewhere'), 'b'.repeat(43), { mode: 0o600 });
        await symlink(join(dir, 'elsewhere'), path);
      },
      /is a symbolic link/,
    ],
  ])('replaces the file with a new token when %s, saying why', async (_why, prepare, reason) => {
    const path = adminTokenPath(dir);
    await prepare(path);
    const warnings: string[] = [];
    const token = await ensureAdminToken(dir, (why) => warnings.push(why));
    expect(warnings).toEqual([expect.stringMatching(reason)]);
    expect(token).not.toMatch(/^(a+|b+)$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(path)).isFile()).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toBe(token);
  });

  it.runIf(isRoot)('refuses a token file owned by another user', async () => {
    const path = adminTokenPath(dir);
    await writeFile(path, 'c'.repeat(43), { mode: 0o600 });
    await chown(path, 65534, 65534);
    await expect(ensureAdminToken(dir)).rejects.toThrow(/belongs to uid 65534, not to this user/);
  });

  it('keeps the token in memory without a state dir', async () => {
    const a = await ensureAdminToken(null);
    const b = await ensureAdminToken(null);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});

describe('readAdminToken', () => {
  it('is null when there is no file', async () => {
    expect(await readAdminToken(join(dir, 'none'))).toBeNull();
  });
});

describe('adminTokenOf', () => {
  it.each([
    ['{"via":"local-user","adminToken":"' + 'd'.repeat(43) + '"}', 'd'.repeat(43)],
    ['{"via":"admin-key","adminToken":null}', null],
    ['{"adminToken":"short"}', null],
    ['not json', null],
    ['null', null],
  ])('%s → %s', (text, token) => {
    expect(adminTokenOf(text)).toBe(token);
  });
});
