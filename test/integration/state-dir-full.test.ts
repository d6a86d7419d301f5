// The engine's state dir and catalog on a real tmpfs that fills up, then turns read-only: the engine keeps
// serving (switches, the router), the histories go on in memory and say so in the state's notices (cleared
// when a write succeeds again), a catalog save through the API fails with a clear `unavailable` error and
// leaves the file byte for byte (no temp file), and a power-limit confirm (in-process, as root: the limits are
// kept in the state dir) fails clearly. Needs root (mount); unmounted in afterAll.
import { execFile, spawn } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { catalogSchema, type CatalogInput } from '../../shared/catalog-schema.js';
import type { EngineNotice } from '../../shared/engine-state.js';
import { ApiCallError, type ApiMethodName, type ApiParams, type ApiResult, type ApiTransport } from '../../shared/switchboard-api.js';
import { createWebSocketTransport } from '../../shared/transports/websocket-transport.js';
import { createEngineApi } from '../../electron/engine/api/create-engine-api.js';
import { startEngineServer, type EngineServer } from '../../electron/engine/api/start-engine-server.js';
import { writeCatalogFile } from '../../electron/engine/catalog/write-catalog.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../electron/system/nvidia-smi/testing/fake-nvidia-smi.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { CLI_BIN, createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('state dir full/read-only tests skipped: they need root (mount -t tmpfs)');

describe.skipIf(!isRoot)('a full, then read-only state dir and catalog (real tmpfs)', () => {
  let mnt: string;
  let mounted = false;
  let host: SimHost;
  let engine: Engine;
  let server: EngineServer;
  let api: ApiTransport;
  let fakeState: Awaited<ReturnType<typeof useFakeNvidiaSmiState>>;
  let configPath: string;
  let stateDir: string;
  const pids = new Set<number>();

  const call = <M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> => api.call(method, params);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: unknown) => (err instanceof ApiCallError ? { code: err.code, message: err.message, details: err.details } : { code: 'thrown', message: String(err), details: undefined }),
    );
  const notices = async (): Promise<EngineNotice[]> => (await call('state.get', {})).notices;
  const noticeOf = async (id: string) => (await notices()).find((n) => n.id === id);
  const chat = (model: string) =>
    request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
    });

  beforeAll(async () => {
    fakeState = await useFakeNvidiaSmiState();
    process.env.FAKE_NVIDIA_SMI_PRIVILEGED = '1';
    mnt = await mkdtemp(join(tmpdir(), 'switchboard-full-'));
    // Room for the catalog, the admin token and the first records; then filled up.
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]);
    mounted = true;
    host = await createSimHost([{ id: 'a' }, { id: 'b' }]);
    const input: CatalogInput = structuredClone(host.catalogInput);
    input.sglang!.env = { ...input.sglang!.env, SGLANG_SIM_TOKENS_PER_S: '400' };
    input.gpu = { nvidiaSmiPath: FAKE_NVIDIA_SMI };
    configPath = join(mnt, 'switchboard.yaml');
    stateDir = join(mnt, 'state');
    await mkdir(stateDir);
    await writeCatalogFile(configPath, input);
    engine = await createEngine({ catalog: catalogSchema.parse(input), configPath, stateDir, probeIntervalMs: 50, systemd: { isRoot: true } });
    engine.subscribe((e) => {
      if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
    });
    server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir, handlers: createEngineApi(engine, configPath).handlers });
    api = createWebSocketTransport({ url: server.url.replace(/^http/, 'ws') + '/api/ws', adminKey: () => server.adminToken, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket });
  });

  afterAll(async () => {
    api?.close?.();
    await engine?.close();
    await server?.close();
    for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
    await host?.cleanup();
    if (mounted) await run('umount', [mnt]);
    if (mnt) await rm(mnt, { recursive: true, force: true });
    await fakeState?.cleanup();
    delete process.env.FAKE_NVIDIA_SMI_PRIVILEGED;
  });

  it('with room: a switch writes the histories and no notice is set', async () => {
    expect(await call('models.switchTo', { model: 'a', wait: true })).toMatchObject({ status: 'ready', modelId: 'a' });
    await waitFor(async () => (await readFile(join(stateDir, 'swap-history.jsonl'), 'utf8').catch(() => '')).includes('"modelId":"a"'), 'the swap record on disk');
    expect((await readFile(join(stateDir, 'load-history.jsonl'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
    expect((await notices()).filter((n) => n.id.startsWith('state-dir:'))).toEqual([]);
  });

  it('full: switches and the router go on, the histories say so in the notices (and in switchboard status), nothing is lost from memory', async () => {
    // tmpfs gives files whole pages: an append that fits in a file's last page needs no space. Blank lines
    // (which the readers skip) fill those pages, so the next record needs a new one, as on a full disk.
    for (const name of ['load-history.jsonl', 'swap-history.jsonl']) await padToPage(join(stateDir, name));
    await writeFile(join(mnt, 'filler'), Buffer.alloc(2 * 1024 * 1024)).then(
      () => expect.unreachable('the filler should not fit'),
      (err: NodeJS.ErrnoException) => expect(err.code).toBe('ENOSPC'),
    );
    expect(statfsSync(mnt).bavail).toBe(0);

    expect(await call('models.switchTo', { model: 'b', wait: true })).toMatchObject({ status: 'ready', modelId: 'b' });
    const answer = await chat('b');
    expect(answer.statusCode).toBe(200);
    expect((await answer.body.json()) as object).toMatchObject({ model: 'b', choices: [expect.objectContaining({ message: expect.objectContaining({ role: 'assistant' }) })] });

    const load = await waitFor(() => noticeOf('state-dir:load-history'), 'the load-history notice');
    expect(load).toMatchObject({
      level: 'error',
      message: `load history: cannot write ${join(stateDir, 'load-history.jsonl')}: no space left on device (ENOSPC); the engine goes on with it in memory (router and switches are not affected)`,
    });
    const swap = await waitFor(() => noticeOf('state-dir:swap-history'), 'the swap-history notice');
    expect(swap.level).toBe('error');
    expect(swap.message).toMatch(new RegExp(`^swap history: cannot write ${join(stateDir, 'swap-history.jsonl')} \\(ENOSPC: no space left on device, write\\); keeping it in memory only`));
    // In memory all the same: the ETA's history and the swap list.
    expect((await call('models.loadHistory', { model: 'b' })).map((r) => r.outcome)).toEqual(['ready']);
    expect((await call('models.swapHistory', {})).filter((r) => r.action === 'load').map((r) => r.modelId)).toEqual(['a', 'b']);

    // A benchmark returns its result (kept in memory) instead of failing on the write.
    const bench = await call('bench.run', { model: 'b', maxTokens: 32 });
    expect(bench.modelId).toBe('b');
    expect((await call('bench.history', {})).runs).toHaveLength(1);
    expect((await noticeOf('state-dir:bench-history'))?.message).toContain(`cannot write ${join(stateDir, 'bench-history.jsonl')}: no space left on device (ENOSPC)`);

    // The CLI prints the notices.
    const status = await cli(['status', '--url', server.url, '--admin-key', server.adminToken]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`error    load history: cannot write ${join(stateDir, 'load-history.jsonl')}: no space left on device (ENOSPC)`);
  });

  it('full: a catalog save through the API fails with a clear unavailable error; the file is byte-identical and no temp file is left', async () => {
    const before = await readFile(configPath);
    const doc = await call('catalog.get', {});
    const entry = doc.models.find((m) => m.id === 'a')!;
    const refused = await refusal(call('catalog.apply', { change: { op: 'edit', id: 'a', model: { ...entry, label: 'Model A' } }, expectedRevision: doc.revision }));
    expect(refused).toEqual({
      code: 'unavailable',
      message: `cannot save the catalog ${configPath}: no space left on device (ENOSPC); the file was left as it was`,
      details: { path: configPath, step: 'temp', errno: 'ENOSPC' },
    });
    expect((await readFile(configPath)).equals(before)).toBe(true);
    expect((await readdir(mnt)).sort()).toEqual(['filler', 'state', 'switchboard.yaml']);
    // The engine still runs the catalog it had.
    expect(engine.catalog().models.find((m) => m.id === 'a')?.label).toBeUndefined();
  });

  it('full: a power-limit confirm (kept in the state dir) fails clearly and the change stays revertible', async () => {
    const gpu = (await call('gpu.overview', {})).samples[0]!;
    const change = await call('gpu.setPowerLimit', { gpu: gpu.uuid, watts: 300, revertAfterS: 60 });
    const refused = await refusal(call('gpu.confirmPowerLimit', { changeId: change.changeId }));
    expect(refused?.message).toBe(
      `could not save the limit of ${gpu.uuid} (300 W) to ${join(stateDir, 'power-limits.json')}: no space left on device (ENOSPC); ` +
        `the change is still pending and reverts at ${change.revertAt} unless a confirm succeeds (free space or make the helper's state dir writable, then confirm again)`,
    );
    expect(await call('gpu.revertPowerLimit', { changeId: change.changeId })).toMatchObject({ changeId: change.changeId, restoredW: 350 });
  });

  it('room again: the next writes clear the notices of the histories that write again, and the catalog saves', async () => {
    await rm(join(mnt, 'filler'));
    expect(await call('models.switchTo', { model: 'a', wait: true })).toMatchObject({ status: 'ready', modelId: 'a' });
    await waitFor(async () => (await noticeOf('state-dir:load-history')) === undefined, 'the load-history notice to clear');
    await call('bench.run', { model: 'a', maxTokens: 32 });
    await waitFor(async () => (await noticeOf('state-dir:bench-history')) === undefined, 'the bench-history notice to clear');
    const doc = await call('catalog.get', {});
    const entry = doc.models.find((m) => m.id === 'a')!;
    await call('catalog.apply', { change: { op: 'edit', id: 'a', model: { ...entry, label: 'Model A' } }, expectedRevision: doc.revision });
    expect(await readFile(configPath, 'utf8')).toContain('label: Model A');
    expect((await readdir(mnt)).sort()).toEqual(['state', 'switchboard.yaml']);
  });

  it('read-only: switches go on, the notice names EROFS, a catalog save fails clearly and changes nothing', async () => {
    await run('mount', ['-o', 'remount,ro', mnt]);
    try {
      const before = await readFile(configPath);
      expect(await call('models.switchTo', { model: 'b', wait: true })).toMatchObject({ status: 'ready', modelId: 'b' });
      expect((await chat('b')).statusCode).toBe(200);
      await waitFor(async () => (await noticeOf('state-dir:load-history'))?.message.includes(': read-only file system (EROFS);'), 'the EROFS notice');
      const doc = await call('catalog.get', {});
      const entry = doc.models.find((m) => m.id === 'b')!;
      const refused = await refusal(call('catalog.apply', { change: { op: 'edit', id: 'b', model: { ...entry, label: 'Model B' } }, expectedRevision: doc.revision }));
      expect(refused).toMatchObject({ code: 'unavailable', message: `cannot save the catalog ${configPath}: read-only file system (EROFS); the file was left as it was` });
      expect((await readFile(configPath)).equals(before)).toBe(true);
      expect((await readdir(mnt)).sort()).toEqual(['state', 'switchboard.yaml']);
    } finally {
      await run('mount', ['-o', 'remount,rw', mnt]);
    }
  });
});

/** Appends newlines up to the next multiple of the page size. */
async function padToPage(file: string): Promise<void> {
  const size = (await readFile(file)).length;
  const page = 4096;
  if (size % page !== 0) await writeFile(file, '\n'.repeat(page - (size % page)), { flag: 'a' });
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
