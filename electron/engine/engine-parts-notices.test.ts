// The histories of the state dir report write and read failures as engine notices and go on in memory; a
// later good write clears the notice. Without root: a directory in the place of the file makes the errors
// (the real full and read-only disks are test/integration/state-dir-full.test.ts).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalogSchema } from '../../shared/catalog-schema.js';
import type { LoadRecord } from '../../shared/engine-state.js';
import type { BenchResult } from '../../shared/throughput.js';
import type { ProcessBackend } from './backends/process-backend.js';
import { EngineNotices } from './engine-notices.js';
import { createEngineParts } from './engine-parts.js';

const catalog = catalogSchema.parse({ models: [{ id: 'a', modelPath: '/models/a' }] });
const record: LoadRecord = { modelId: 'a', startedAtMs: 1, endedAtMs: 2, cause: 'manual', phaseMs: {}, outcome: 'ready' } as LoadRecord;
const run: BenchResult = { modelId: 'a', atMs: 3, tokPerS: 50, powerLimitsW: [] } as unknown as BenchResult;

let dir: string | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function parts(stateDir: string) {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const notices = new EngineNotices(() => undefined);
  const built = await createEngineParts({ catalog, configPath: 'test', stateDir, gpuMonitor: false, backend: {} as ProcessBackend }, () => catalog, notices);
  return { ...built, notices };
}

describe('createEngineParts: state-dir notices', () => {
  it('a load or bench history write that fails sets a notice naming the file and errno, keeps the record, and clears on the next good write', async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-parts-notices-'));
    const { history, benchHistory, notices } = await parts(dir);
    // A directory where the file goes: open(…, 'a') fails with EISDIR, as a full disk fails with ENOSPC.
    await mkdir(join(dir, 'load-history.jsonl'));
    await mkdir(join(dir, 'bench-history.jsonl'));

    await history.append(record); // resolves: the caller (the switcher) is not failed
    await benchHistory.append(run); // resolves: the benchmark still returns its result
    expect(history.recordsOf('a')).toHaveLength(1);
    expect(benchHistory.all()).toHaveLength(1);
    expect(notices.list().map(({ id, level, message }) => ({ id, level, message }))).toEqual([
      {
        id: 'state-dir:load-history',
        level: 'error',
        message: `load history: cannot write ${join(dir, 'load-history.jsonl')}: illegal operation on a directory (EISDIR); the engine goes on with it in memory (router and switches are not affected)`,
      },
      {
        id: 'state-dir:bench-history',
        level: 'error',
        message: `bench history: cannot write ${join(dir, 'bench-history.jsonl')}: illegal operation on a directory (EISDIR); the engine goes on with it in memory (router and switches are not affected)`,
      },
    ]);

    await rm(join(dir, 'load-history.jsonl'), { recursive: true });
    await history.append({ ...record, startedAtMs: 5 });
    expect(notices.list().map((n) => n.id)).toEqual(['state-dir:bench-history']);
    expect((await readFile(join(dir, 'load-history.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('a history that cannot be read at start: a notice, and an empty history in memory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-parts-notices-'));
    await mkdir(join(dir, 'load-history.jsonl'));
    const { history, notices } = await parts(dir);
    expect(history.all()).toEqual([]);
    expect(notices.list()).toEqual([
      expect.objectContaining({
        id: 'state-dir:load-history',
        level: 'error',
        message: `load history: cannot read ${join(dir, 'load-history.jsonl')}: illegal operation on a directory (EISDIR); starting empty and keeping it in memory only`,
      }),
    ]);
    await history.append(record);
    expect(history.recordsOf('a')).toHaveLength(1);
  });
});
