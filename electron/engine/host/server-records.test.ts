import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerRecords, type ServerRecord } from './server-records.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'server-records-'));
  dirs.push(dir);
  return dir;
}

function record(pid: number, patch: Partial<ServerRecord> = {}): ServerRecord {
  return {
    slotId: 'all',
    modelId: 'alpha',
    pid,
    pgid: pid,
    startTicks: '123',
    host: '127.0.0.1',
    port: 8001,
    argv: ['python3', '-m', 'sglang.launch_server'],
    env: {},
    startedAtMs: 1,
    enginePid: 2,
    ...patch,
  };
}

describe('ServerRecords', () => {
  it('keeps the list in a file a later run reads back, replacing by pid and removing', async () => {
    const path = join(await tempDir(), 'state', 'servers.json');
    const records = await ServerRecords.open(path);
    await records.add(record(10));
    await records.add(record(11, { modelId: 'beta' }));
    await records.add(record(10, { port: 8002 }));
    expect((await ServerRecords.open(path)).list()).toEqual([record(11, { modelId: 'beta' }), record(10, { port: 8002 })]);
    await records.remove(11);
    await records.remove(99);
    expect((await ServerRecords.open(path)).list().map((r) => r.pid)).toEqual([10]);
    expect((await readFile(path, 'utf8')).endsWith('\n')).toBe(true);
    expect(await readdir(join(path, '..'))).toEqual(['servers.json']);
  });

  it.each([
    ['not JSON', '{"servers": ['],
    ['no list', '{"version":1}'],
  ])('a damaged file (%s) is reported, read as empty, and replaced at the next write', async (_what, text) => {
    const path = join(await tempDir(), 'servers.json');
    await writeFile(path, text);
    const problems: string[] = [];
    const records = await ServerRecords.open(
      path,
      () => undefined,
      (message) => problems.push(message),
    );
    expect(records.list()).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/servers\.json is damaged .*looked for by their command line only/)]);
    await records.add(record(5));
    expect((await ServerRecords.open(path)).list()).toEqual([record(5)]);
  });

  it('drops entries that are not records and keeps the rest', async () => {
    const path = join(await tempDir(), 'servers.json');
    await writeFile(path, JSON.stringify({ version: 1, servers: [record(7), { pid: 'x' }, null, record(8, { argv: [1] as unknown as string[] })] }));
    expect((await ServerRecords.open(path)).list()).toEqual([record(7)]);
  });

  it('a write that fails is reported, and the list goes on in memory; the next write that works clears it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'servers.json');
    // A directory in the file's place: the rename fails (EISDIR), for root too.
    await mkdir(path);
    const writes: (Error | null)[] = [];
    const records = await ServerRecords.open(path, (error) => writes.push(error));
    await records.add(record(3));
    expect(writes).toEqual([expect.objectContaining({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) })]);
    expect(records.list()).toEqual([record(3)]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await rm(path, { recursive: true });
    await records.add(record(4));
    expect(writes.at(-1)).toBeNull();
  });

  it('without a path it is a list in memory only', async () => {
    const records = await ServerRecords.open(null);
    await records.add(record(1));
    expect(records.list()).toEqual([record(1)]);
  });
});
