import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogInput } from '../../../shared/catalog-schema.js';
import { CatalogInvalidError } from './catalog-invalid-error.js';
import { parseCatalogText } from './load-catalog.js';
import { serializeCatalog, writeCatalogFile } from './write-catalog.js';

const GOOD_TEXT = '# hand-written\nmodels:\n  - id: qwen\n    modelPath: Qwen/Qwen2.5-7B-Instruct\n';
const MISTRAL = { id: 'mistral', aliases: ['m'], modelPath: 'mistralai/Mistral-7B-Instruct-v0.3', tp: 2, gpus: [0, 1], env: { A: '1' } };
const NEXT: CatalogInput = {
  router: { port: 8002 },
  models: [MISTRAL],
};

let root: string;
let dir: string;
let target: string;
beforeEach(async () => {
  root ??= await mkdtemp(join(tmpdir(), 'catalog-write-'));
  dir = await mkdtemp(join(root, 'case-'));
  target = join(dir, 'switchboard.yaml');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('serializeCatalog', () => {
  it('writes YAML that loads back to the same catalog, lists of scalars inline', () => {
    const text = serializeCatalog(NEXT);
    expect(text).toContain('gpus: [0, 1]\n');
    expect(text).toContain('aliases: [m]\n');
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok && result.catalog.models[0]).toMatchObject(MISTRAL);
  });
});

describe('writeCatalogFile', () => {
  it('creates parent folders and a new file readable only by its owner', async () => {
    const path = join(dir, 'a', 'b', 'switchboard.yaml');
    const result = await writeCatalogFile(path, NEXT);
    expect(result.catalog.models[0]?.id).toBe('mistral');
    expect(await readFile(path, 'utf8')).toBe(serializeCatalog(NEXT));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('keeps the mode of the file it replaces and writes text as given', async () => {
    await writeFile(target, GOOD_TEXT);
    await chmod(target, 0o640);
    const text = `${GOOD_TEXT}# edited\n`;
    await writeCatalogFile(target, text);
    expect(await readFile(target, 'utf8')).toBe(text);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
  });

  it('refuses an invalid catalog and leaves the good file byte-identical', async () => {
    await writeFile(target, GOOD_TEXT);
    const write = writeCatalogFile(target, 'models:\n  - id: qwen\n    modelPath: /m\n    tpp: 2\n', { checkFiles: false });
    await expect(write).rejects.toThrow(CatalogInvalidError);
    await expect(write).rejects.toMatchObject({ code: 'bad_request', issues: [expect.objectContaining({ field: 'models[0].tpp', line: 4 })] });
    expect(await readFile(target, 'utf8')).toBe(GOOD_TEXT);
    expect(await readdir(dir)).toEqual(['switchboard.yaml']);
  });

  it('leaves the old file intact when it fails between the temp write and the rename', async () => {
    await writeFile(target, GOOD_TEXT);
    let tempSeen = '';
    const write = writeCatalogFile(target, NEXT, {
      hooks: {
        beforeRename: async (tempPath) => {
          tempSeen = await readFile(tempPath, 'utf8');
          throw new Error('simulated crash');
        },
      },
    });
    await expect(write).rejects.toThrow('simulated crash');
    expect(tempSeen).toBe(serializeCatalog(NEXT));
    expect(await readFile(target, 'utf8')).toBe(GOOD_TEXT);
    expect(await readdir(dir)).toEqual(['switchboard.yaml']);
  });

  it('leaves the old file intact when the writing process is killed before the rename', async () => {
    await writeFile(target, GOOD_TEXT);
    const moduleUrl = new URL('./write-catalog.ts', import.meta.url).href;
    const code = `
      const { writeCatalogFile } = await import(${JSON.stringify(moduleUrl)});
      await writeCatalogFile(${JSON.stringify(target)}, ${JSON.stringify(NEXT)}, { hooks: { beforeRename: () => {
        process.stdout.write('temp written\\n');
        return new Promise(() => setInterval(() => {}, 1000));
      } } });`;
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => (out += chunk).includes('temp written') && resolve());
      child.once('exit', (status) => reject(new Error(`child exited early (${status}): ${out}`)));
    });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect(await readFile(target, 'utf8')).toBe(GOOD_TEXT);
    const leftovers = (await readdir(dir)).filter((n) => n !== 'switchboard.yaml');
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^\.switchboard\.yaml\.\d+\.[0-9a-f]+\.tmp$/);
  });

  it('writes through a symlink to its target', async () => {
    const real = join(dir, 'dotfiles', 'switchboard.yaml');
    await mkdir(join(dir, 'dotfiles'));
    await writeFile(real, GOOD_TEXT);
    await symlink(real, target);
    await writeCatalogFile(target, NEXT);
    expect((await lstat(target)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe(serializeCatalog(NEXT));
    expect((await readdir(dir)).sort()).toEqual(['dotfiles', 'switchboard.yaml']);
  });
});
