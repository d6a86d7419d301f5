// A full (or read-only) disk at each step of the atomic replace: the old catalog stays byte for byte, no temp
// file is left, and the error is a clear `unavailable` naming the file and the errno. The real-disk version
// (a full tmpfs through the engine's API) is test/integration/state-dir-full.test.ts; here each step is hit
// on its own, which a real tmpfs cannot do (its fsync and rename never run out of space).
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toApiError } from '../api/send-json.js';
import { CatalogWriteError, writeCatalogFile } from './write-catalog.js';

type FailAt = 'open' | 'write' | 'sync' | 'close' | 'rename' | 'mkdir';
const injected: { at: FailAt | null; code: string } = { at: null, code: 'ENOSPC' };

function errnoError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const text: Record<string, string> = { ENOSPC: 'no space left on device', EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded', EACCES: 'permission denied' };
  return Object.assign(new Error(`${code}: ${text[code] ?? 'failed'}, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, errno: -1 });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const isTemp = (path: unknown) => typeof path === 'string' && path.endsWith('.tmp');
  return {
    ...real,
    mkdir: async (...args: Parameters<typeof real.mkdir>) => {
      if (injected.at === 'mkdir') throw errnoError(injected.code, 'mkdir', String(args[0]));
      return real.mkdir(...args);
    },
    rename: async (from: string, to: string) => {
      if (injected.at === 'rename' && isTemp(from)) throw errnoError(injected.code, 'rename', from);
      return real.rename(from, to);
    },
    open: async (...args: Parameters<typeof real.open>) => {
      const path = args[0];
      if (injected.at === 'open' && isTemp(path)) throw errnoError(injected.code, 'open', String(path));
      const handle = await real.open(...args);
      if (!isTemp(path)) return handle;
      // The temp file's handle, with the injected failure on one of its calls.
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key, target) as unknown;
          if (typeof value !== 'function') return value;
          if (key === 'writeFile' && injected.at === 'write') {
            // A partial write, then the disk is full: what a real ENOSPC leaves in the temp file.
            return async (text: string) => {
              await target.write(text.slice(0, Math.floor(text.length / 2)));
              throw errnoError(injected.code, 'write');
            };
          }
          if (key === 'sync' && injected.at === 'sync') return async () => Promise.reject(errnoError(injected.code, 'fsync'));
          if (key === 'close' && injected.at === 'close') {
            return async () => {
              await target.close();
              throw errnoError(injected.code, 'close');
            };
          }
          return (value as (...a: unknown[]) => unknown).bind(target);
        },
      }) as FileHandle;
    },
  };
});

const GOOD_TEXT = '# hand-written, kept as is\nmodels:\n  - id: qwen\n    modelPath: Qwen/Qwen2.5-7B-Instruct\n';
const NEXT = 'models:\n  - id: mistral\n    modelPath: mistralai/Mistral-7B-Instruct-v0.3\n';

let root: string;
let dir: string;
let target: string;
beforeEach(async () => {
  root ??= await mkdtemp(join(tmpdir(), 'catalog-write-errors-'));
  dir = await mkdtemp(join(root, 'case-'));
  target = join(dir, 'switchboard.yaml');
  await writeFile(target, GOOD_TEXT);
});
afterEach(() => {
  injected.at = null;
  injected.code = 'ENOSPC';
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('writeCatalogFile on a disk that refuses the write', () => {
  const steps: { at: FailAt; step: string }[] = [
    { at: 'open', step: 'temp' },
    { at: 'write', step: 'temp' },
    { at: 'sync', step: 'fsync' },
    { at: 'close', step: 'temp' },
    { at: 'rename', step: 'rename' },
    { at: 'mkdir', step: 'mkdir' },
  ];
  for (const { at, step } of steps) {
    it(`ENOSPC at ${at}: the old file byte-identical, no temp file left, an unavailable error naming the file and errno`, async () => {
      injected.at = at;
      const err = await writeCatalogFile(target, NEXT, { checkFiles: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CatalogWriteError);
      expect(err).toMatchObject({ code: 'unavailable', step, errno: 'ENOSPC', path: target });
      expect((err as Error).message).toBe(`cannot save the catalog ${target}: no space left on device (ENOSPC); the file was left as it was`);
      // What an API caller gets: the same message, a stable code, no stack.
      expect(toApiError(err)).toEqual({ code: 'unavailable', message: (err as Error).message, details: { path: target, step, errno: 'ENOSPC' } });
      expect(await readFile(target, 'utf8')).toBe(GOOD_TEXT);
      expect(await readdir(dir)).toEqual(['switchboard.yaml']);
    });
  }

  it('names EROFS and EDQUOT the same way', async () => {
    for (const code of ['EROFS', 'EDQUOT']) {
      injected.at = 'open';
      injected.code = code;
      await expect(writeCatalogFile(target, NEXT, { checkFiles: false })).rejects.toThrow(
        `cannot save the catalog ${target}: ${code === 'EROFS' ? 'read-only file system' : 'disk quota exceeded'} (${code}); the file was left as it was`,
      );
      expect(await readFile(target, 'utf8')).toBe(GOOD_TEXT);
    }
  });

  it('writes the new file once the disk has room again', async () => {
    injected.at = 'write';
    await expect(writeCatalogFile(target, NEXT, { checkFiles: false })).rejects.toThrow(CatalogWriteError);
    injected.at = null;
    await writeCatalogFile(target, NEXT, { checkFiles: false });
    expect(await readFile(target, 'utf8')).toBe(NEXT);
    expect(await readdir(dir)).toEqual(['switchboard.yaml']);
  });
});
