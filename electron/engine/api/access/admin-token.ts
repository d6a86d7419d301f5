import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The generated admin token's file name in the engine's state dir. */
export const ADMIN_TOKEN_FILE = 'admin-token';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,512}$/;
const MAX_TOKEN_FILE_BYTES = 1024;

/** Where the admin token of an engine with this state dir lives. */
export function adminTokenPath(stateDir: string): string {
  return join(stateDir, ADMIN_TOKEN_FILE);
}

/**
 * The engine's admin token: read from `<stateDir>/admin-token`, or created there (256 random bits,
 * base64url, mode 0600, written atomically) when missing. A token file that other users could read,
 * or that holds no valid token, is replaced by a new one (`onReplaced` says why); one owned by
 * another user is an error. Without a state dir the token lives in memory only.
 */
export async function ensureAdminToken(stateDir: string | null, onReplaced: (why: string) => void = () => undefined): Promise<string> {
  if (stateDir === null) return newToken();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = adminTokenPath(stateDir);
  const existing = await readTokenFile(path, { strict: true });
  if (existing.kind === 'ok') return existing.token;
  if (existing.kind === 'foreign') throw new Error(`${path} belongs to uid ${existing.uid}, not to this user (uid ${process.getuid?.()}); remove it or use another --state-dir`);
  if (existing.kind === 'unusable') {
    onReplaced(`${path} ${existing.why}; writing a new admin token`);
    await unlink(path).catch(() => undefined);
  }
  return createTokenFile(path);
}

/**
 * The admin token another program (the CLI, the desktop app attaching to `serve`) finds in an
 * engine's state dir; null when there is none or this user cannot read it.
 */
export async function readAdminToken(stateDir: string): Promise<string | null> {
  const result = await readTokenFile(adminTokenPath(stateDir), { strict: false });
  return result.kind === 'ok' ? result.token : null;
}

/** The token of an `/api/session` answer's text; null for anything else (no token, not JSON). */
export function adminTokenOf(sessionAnswer: string): string | null {
  try {
    const token = (JSON.parse(sessionAnswer) as { adminToken?: unknown } | null)?.adminToken;
    return typeof token === 'string' && TOKEN_PATTERN.test(token) ? token : null;
  } catch {
    return null;
  }
}

type TokenFileState = { kind: 'ok'; token: string } | { kind: 'missing' } | { kind: 'foreign'; uid: number } | { kind: 'unusable'; why: string };

async function readTokenFile(path: string, { strict }: { strict: boolean }): Promise<TokenFileState> {
  let file;
  try {
    // O_NOFOLLOW: a symlink planted in the state dir must not point the token elsewhere.
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (!strict) return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'unusable', why: 'is a symbolic link' };
    throw err;
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) return { kind: 'unusable', why: 'is not a regular file' };
    if (strict && process.getuid && info.uid !== process.getuid()) return { kind: 'foreign', uid: info.uid };
    if (strict && (info.mode & 0o077) !== 0) return { kind: 'unusable', why: `could be read by other users (mode ${(info.mode & 0o777).toString(8)})` };
    if (info.size > MAX_TOKEN_FILE_BYTES) return { kind: 'unusable', why: 'is too large to be a token' };
    const token = (await file.readFile('utf8')).trim();
    return TOKEN_PATTERN.test(token) ? { kind: 'ok', token } : { kind: 'unusable', why: 'holds no valid token' };
  } finally {
    await file.close();
  }
}

/** Writes a new token under a private name and links it into place: readers never see a partial file. */
async function createTokenFile(path: string): Promise<string> {
  const token = newToken();
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.chmod(0o600); // open()'s mode passes through the umask; make sure, not hope
    await file.writeFile(`${token}\n`, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(temp, path);
  } catch (err) {
    // Another engine with the same state dir won the race: both must use its token.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = await readTokenFile(path, { strict: true });
    if (theirs.kind !== 'ok') throw new Error(`${path} appeared while writing the admin token but is not usable`, { cause: err });
    return theirs.token;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDir(join(path, '..'));
  return token;
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch(() => undefined); // some file systems cannot fsync a directory
  } finally {
    await handle.close();
  }
}
