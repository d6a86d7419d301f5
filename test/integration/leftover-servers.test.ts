import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineState, SlotView } from '../../shared/engine-state.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { isProcessLive, readProcStat } from '../../electron/system/proc-process.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';
import { killLaunches, killServe, liveLaunches, startServe, writeHostCatalog, type ServeProcess } from './support/serve-process.js';
import { holdPortInChild, type PortHolder } from '../../electron/system/testing/hold-port-in-child.js';

let host: SimHost | undefined;
const serves: ServeProcess[] = [];
const holders: PortHolder[] = [];

afterEach(async () => {
  for (const serve of serves.splice(0)) await killServe(serve);
  for (const holder of holders.splice(0)) await holder.kill();
  if (host) await killLaunches(host);
  await host?.cleanup();
  host = undefined;
});

async function serve(configPath: string): Promise<ServeProcess> {
  const s = await startServe(host!, configPath);
  serves.push(s);
  return s;
}

function notices(state: EngineState): string {
  return state.notices.map((n) => n.message).join('\n');
}

function slotOf(state: EngineState): SlotView {
  return state.slots[0]!;
}

async function switchTo(s: ServeProcess, model: string): Promise<SlotView> {
  const res = await s.post(`/api/models/${model}/switch`, { wait: true });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return waitFor(async () => {
    const slot = slotOf(await s.state());
    return slot.status === 'ready' && slot.modelId === model && slot.pid ? slot : null;
  }, `${model} ready`);
}

async function chat(url: string, model: string): Promise<number> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  await res.body.dump();
  return res.statusCode;
}

async function servers(): Promise<{ pid: number; modelId: string }[]> {
  const text = await readFile(join(host!.dir, 'state', 'servers.json'), 'utf8').catch(() => '{"servers":[]}');
  return (JSON.parse(text) as { servers: { pid: number; modelId: string }[] }).servers;
}

describe.runIf(process.platform === 'linux')('servers an earlier run left behind', () => {
  it('SIGKILL of the engine: the next start adopts the ready server (no new launch); after a catalog change it stops it instead', async () => {
    host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
    const config = await writeHostCatalog(host);
    const first = await serve(config);
    const loaded = await switchTo(first, 'alpha');
    // Written in the background (fsync can take a while on a busy disk).
    await waitFor(async () => (await servers()).some((r) => r.pid === loaded.pid), 'the record in servers.json');
    expect(await servers()).toEqual([expect.objectContaining({ pid: loaded.pid, modelId: 'alpha' })]);
    await killServe(first);
    expect(listGroupMembers(loaded.pid!).length).toBeGreaterThan(0);

    const second = await serve(config);
    const state = await second.state();
    expect(slotOf(state)).toMatchObject({ status: 'ready', modelId: 'alpha', pid: loaded.pid });
    expect(notices(state)).toMatch(new RegExp(`adopted alpha's server .*pid ${loaded.pid}`));
    expect(await chat(second.url, 'alpha')).toBe(200);
    expect(await host.launches()).toHaveLength(1);

    // Killed again; alpha's launch changes meanwhile: the leftover is not what the catalog says any more.
    await killServe(second);
    host.catalogInput.models![0]!.extraArgs = ['--max-running-requests', '8'];
    const changed = await writeHostCatalog(host, 'changed.yaml');
    const third = await serve(changed);
    expect(listGroupMembers(loaded.pid!)).toEqual([]);
    const after = await third.state();
    expect(slotOf(after).status).toBe('stopped');
    expect(notices(after)).toMatch(new RegExp(`stopped alpha's server left by an earlier run \\(pid ${loaded.pid}`));
    expect(await servers()).toEqual([]);
    const relaunched = await switchTo(third, 'alpha');
    expect(relaunched.pid).not.toBe(loaded.pid);
  });

  it('a lost record: the leftover is found on the port by its exact command line and adopted; a wrong model there is stopped before the launch', async () => {
    host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
    const config = await writeHostCatalog(host);
    const first = await serve(config);
    const alpha = await switchTo(first, 'alpha');
    await killServe(first);
    // Lost (or never written: the engine was killed before its write landed) — the same to the next run.
    await rm(join(host.dir, 'state', 'servers.json'), { force: true });

    const second = await serve(config);
    expect(slotOf(await second.state())).toMatchObject({ status: 'ready', modelId: 'alpha', pid: alpha.pid });
    expect(notices(await second.state())).toMatch(new RegExp(`adopted alpha's server left by an earlier run: pid ${alpha.pid}`));

    // And when it is another model that is asked for after a restart, the leftover makes room first.
    await killServe(second);
    // Lost (or never written: the engine was killed before its write landed) — the same to the next run.
    await rm(join(host.dir, 'state', 'servers.json'), { force: true });
    const third = await serve(config);
    expect(slotOf(await third.state()).modelId).toBe('alpha');
    const beta = await switchTo(third, 'beta');
    expect(listGroupMembers(alpha.pid!)).toEqual([]);
    expect(beta.pid).not.toBe(alpha.pid);
    expect(await liveLaunches(host)).toEqual([beta.pid]);
  });

  it('a server killed in the middle of its load is stopped at the next start, not adopted', async () => {
    host = await createSimHost([{ id: 'big', shards: 30 }], { timeScale: 0.05 });
    const config = await writeHostCatalog(host);
    const first = await serve(config);
    await first.post('/api/models/big/switch', {});
    const loading = await waitFor(async () => {
      const slot = slotOf(await first.state());
      return slot.progress?.phase === 'weights' && slot.pid ? slot : null;
    }, 'the weights phase');
    await killServe(first);
    expect(listGroupMembers(loading.pid!).length).toBeGreaterThan(0);

    const second = await serve(config);
    expect(listGroupMembers(loading.pid!)).toEqual([]);
    const state = await second.state();
    expect(slotOf(state).status).toBe('stopped');
    expect(notices(state)).toMatch(new RegExp(`stopped big's server left by an earlier run \\(pid ${loading.pid}, not listening yet\\)`));
  });

  it('a foreign process on the backend port: port_busy names it, nothing is launched, and it is left alone', async () => {
    host = await createSimHost([{ id: 'alpha' }]);
    const holder = await holdPortInChild('127.0.0.1', host.catalog.backend.port);
    holders.push(holder);
    const s = await serve(await writeHostCatalog(host));
    const res = await s.post('/api/models/alpha/switch', { wait: true });
    // The load fails (503 load_failed) with the port_busy diagnosis naming the holder.
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'load_failed', details: { failure: { cause: 'port_busy' } } } });
    expect(JSON.stringify(res.body)).toMatch(new RegExp(`in use by pid ${holder.pid} \\(.*node`));
    expect(await host.launches()).toEqual([]);
    expect(isProcessLive(readProcStat(holder.pid))).toBe(true);
  });
});
