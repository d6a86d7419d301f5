// The engine while nvidia-smi hangs (the fake's FAKE_NVIDIA_SMI_HANG): the state and the GPU overview say the
// readings are stale with the reason, a notice says so above every screen, switches and the router are not
// affected, and all of it clears when nvidia-smi answers again. No fake nvidia-smi is left behind.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineApi } from '../../electron/engine/api/create-engine-api.js';
import { startEngineServer, type EngineServer } from '../../electron/engine/api/start-engine-server.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { GpuMonitor } from '../../electron/engine/gpu/gpu-monitor.js';
import { GpuSampler } from '../../electron/engine/gpu/gpu-sampler.js';
import { FAKE_NVIDIA_SMI } from '../../electron/system/nvidia-smi/testing/fake-nvidia-smi.js';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

let dir: string | undefined;
let host: SimHost | undefined;
let engine: Engine | undefined;
let server: EngineServer | undefined;
const pids = new Set<number>();

afterEach(async () => {
  await engine?.close();
  await server?.close();
  for (const pid of pids) if (listGroupMembers(pid).length > 0) process.kill(-pid, 'SIGKILL');
  pids.clear();
  if (dir) for (const pid of fakePids(join(dir, 'hang'))) process.kill(pid, 'SIGKILL');
  await host?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  delete process.env.FAKE_NVIDIA_SMI_HANG;
  delete process.env.FAKE_NVIDIA_SMI_STATE;
  [dir, host, engine, server] = [undefined, undefined, undefined, undefined];
});

/** The fake nvidia-smi processes started with this hang file in their environment. */
function fakePids(hangFile: string): number[] {
  const marker = `FAKE_NVIDIA_SMI_HANG=${hangFile}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((name) => {
      try {
        // The SGLang simulators inherit the variable too: only nvidia-smi processes count.
        const isFake = readFileSync(`/proc/${name}/cmdline`, 'latin1').includes('nvidia-smi') && readFileSync(`/proc/${name}/environ`, 'latin1').includes(marker);
        return isFake ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
}

describe('the engine with an nvidia-smi that hangs', () => {
  it('says the readings are stale (state, overview, notice), still switches and routes, and recovers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpu-hang-engine-'));
    const hangFile = join(dir, 'hang');
    process.env.FAKE_NVIDIA_SMI_HANG = hangFile;
    process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-state.json');
    host = await createSimHost([{ id: 'a' }, { id: 'b' }]);
    const sampler = new GpuSampler({ nvidiaSmiPath: FAKE_NVIDIA_SMI, intervalMs: 200, staleAfterMs: 1_500, hangTimeoutMs: 5_000, restartDelayMs: { initial: 200, max: 1_000 } });
    const monitor = new GpuMonitor({ sampler, nvidiaSmiPath: FAKE_NVIDIA_SMI });
    engine = await createEngine({ catalog: host.catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, gpuMonitor: monitor });
    engine.subscribe((e) => {
      if (e.type === 'state') for (const s of e.state.slots) if (s.pid) pids.add(s.pid);
    });
    server = await startEngineServer(engine, { host: '127.0.0.1', port: 0, stateDir: host.dir, handlers: createEngineApi(engine, 'test').handlers });
    expect(engine.state().gpu).toEqual({ available: true, gpuCount: 6 });
    await engine.ensureReady('a', 'manual');

    await writeFile(hangFile, '');
    const stale = await waitFor(() => {
      const gpu = engine!.state().gpu;
      return gpu?.available ? gpu.stale : undefined;
    }, 'the state to say stale');
    expect(stale.reason).toMatch(/^nvidia-smi has not answered for \d+ s/);
    // The notice follows at the sampler's next watchdog round.
    const notice = await waitFor(() => engine!.state().notices.find((n) => n.id === 'gpu:stale'), 'the gpu:stale notice');
    expect(notice).toMatchObject({ level: 'warning', message: expect.stringMatching(/^GPU readings are stale: nvidia-smi stopped answering/) });
    const overview = await engine.gpu();
    expect(overview.stale?.reason).toMatch(/^nvidia-smi has not answered for \d+ s/);
    expect(overview.samples).toHaveLength(6);

    // Switches and the router do not wait on nvidia-smi.
    expect(await engine.ensureReady('b', 'manual')).toMatchObject({ status: 'ready', modelId: 'b' });
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(engine.state().slots.find((s) => s.modelId === 'a')?.status).toBe('ready');
    expect(fakePids(hangFile).length).toBeLessThanOrEqual(1);

    await unlink(hangFile);
    await waitFor(() => !engine!.state().notices.some((n) => n.id === 'gpu:stale'), 'the notice to clear', 60_000);
    expect(engine.state().gpu).toEqual({ available: true, gpuCount: 6 });
    expect((await engine.gpu()).stale).toBeUndefined();

    await engine.close();
    engine = undefined;
    expect(fakePids(hangFile)).toEqual([]);
  }, 120_000);
});
