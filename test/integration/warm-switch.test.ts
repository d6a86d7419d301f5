import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogInput } from '../../shared/catalog-schema.js';
import type { SlotView } from '../../shared/engine-state.js';
import { FAKE_NVIDIA_SMI_BIN } from '../../electron/engine/catalog/write-demo-host.js';
import { isGroupAlive, listGroupMembers } from '../../electron/system/process-group.js';
import { readComputeApps } from '../../electron/system/nvidia-smi/read-compute-apps.js';
import { startRouterHost, type RouterHost, type RouterHostOptions } from './support/router-host.js';
import type { SimModelSpec } from './support/sim-host.js';
import { waitFor } from './support/sim-host.js';

// Warm switch (issue 17) against the SGLang simulator, which answers /release_memory_occupation and
// /resume_memory_occupation like SGLang 0.5.3.post1 (docs/sglang-memory-occupation.md) and shows its
// GPU memory to the fake nvidia-smi: a warm model evicted by another's load goes to sleep (process and
// port kept, GPU memory released), a request wakes it without a load, and every path that does not go
// to plan ends in a cold stop or a cold load.

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  delete process.env.FAKE_NVIDIA_SMI_STATE;
});

const PLENTY_OF_RAM = async () => ({ memAvailableMiB: 512 * 1024, memTotalMiB: 768 * 1024 });

interface WarmHostOptions {
  models?: SimModelSpec[];
  warm?: string[];
  catalog?: (input: CatalogInput) => void;
  engine?: RouterHostOptions['engine'];
}

/** alpha (warm) and beta (cold) on GPU 0, the fake nvidia-smi seeing the simulators' memory. */
async function start(opts: WarmHostOptions = {}): Promise<RouterHost> {
  const warm = new Set(opts.warm ?? ['alpha']);
  let nvidiaSmi = '';
  const h = await startRouterHost(
    opts.models ?? [
      { id: 'alpha', gpus: [0] },
      { id: 'beta', gpus: [0] },
    ],
    {
      engine: { readHostMemory: PLENTY_OF_RAM, ...opts.engine },
      patch: async (input) => {
        input.models = input.models!.map((m) => (warm.has(m.id) ? { ...m, switchMode: 'warm' as const } : m));
        // The simulators register their GPU memory beside the fake nvidia-smi's state file.
        const dir = join(input.models[0]!.modelPath!, '..', '..');
        process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-nvidia-smi.json');
        nvidiaSmi = join(dir, 'nvidia-smi');
        await writeFile(nvidiaSmi, `#!/bin/sh\nexec '${process.execPath}' '${FAKE_NVIDIA_SMI_BIN}' "$@"\n`, { mode: 0o755 });
        input.gpu = { ...input.gpu, nvidiaSmiPath: nvidiaSmi };
        opts.catalog?.(input);
      },
    },
  );
  host = h;
  await waitFor(async () => (await h.engine.gpu()).samples.length > 0, 'the fake GPUs');
  return h;
}

function slotOf(h: RouterHost, modelId: string): SlotView | undefined {
  return h.engine.state().slots.find((s) => s.modelId === modelId);
}

/** The model's status as the state lists it (unloaded once its server is stopped). */
function statusOf(h: RouterHost, modelId: string): string | undefined {
  return h.engine.state().models.find((m) => m.id === modelId)?.status;
}

function client(h: RouterHost): OpenAI {
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
}

async function ask(h: RouterHost, model: string): Promise<string> {
  const answer = await client(h).chat.completions.create({ model, messages: [{ role: 'user', content: 'Say something.' }], max_tokens: 8, temperature: 0 });
  return answer.choices[0]?.message.content ?? '';
}

/** MiB the server's processes hold on the GPUs, as nvidia-smi lists them (its scheduler ranks, not the main process). */
async function gpuMemoryOf(pid: number): Promise<number | null> {
  const apps = await readComputeApps(join(process.env.FAKE_NVIDIA_SMI_STATE!, '..', 'nvidia-smi'));
  if (!apps) return null;
  let total: number | null = null;
  for (const member of listGroupMembers(pid)) total = (total ?? 0) + (apps.get(member) ?? 0);
  return total;
}

describe('warm switch', () => {
  it('puts a warm model to sleep when another needs its GPU, and a request wakes it without a load', async () => {
    const h = await start();
    const first = await ask(h, 'alpha');
    const awake = slotOf(h, 'alpha')!;
    const pid = awake.pid!;
    const before = await gpuMemoryOf(pid);
    expect(before).toBeGreaterThan(1000);

    await ask(h, 'beta');
    const asleep = slotOf(h, 'alpha')!;
    expect(asleep).toMatchObject({ status: 'sleeping', pid, port: awake.port });
    expect(asleep.sleptAtMs).toEqual(expect.any(Number));
    expect(isGroupAlive(pid)).toBe(true);
    expect(h.engine.state().models.find((m) => m.id === 'alpha')).toMatchObject({ status: 'sleeping', warm: true });
    // Its GPU memory went back (the CUDA context and graph pools stay).
    expect(await gpuMemoryOf(pid)).toBeLessThan(before! * 0.6);
    // /v1/models says so too.
    const listed = (await (await fetch(`${h.url}/v1/models`)).json()) as { data: { id: string; status?: { value: string } }[] };
    expect(listed.data.find((m) => m.id === 'alpha')?.status?.value).toBe('sleeping');

    const loadsBefore = h.engine.loadHistory({ model: 'alpha' }).length;
    expect(await ask(h, 'alpha')).toBe(first);
    const woken = slotOf(h, 'alpha')!;
    expect(woken).toMatchObject({ status: 'ready', pid, port: awake.port });
    // No load: the same process answers, and the load history did not grow.
    expect(h.engine.loadHistory({ model: 'alpha' })).toHaveLength(loadsBefore);
    expect(statusOf(h, 'beta')).toBe('unloaded');
    const swaps = h.engine.swapHistory({}).map((r) => `${r.action} ${r.modelId}${r.outcome ? ` ${r.outcome}` : ''}`);
    expect(swaps).toEqual(['load alpha ready', 'sleep alpha', 'load beta ready', 'unload beta', 'wake alpha ready']);
    expect(await gpuMemoryOf(pid)).toBeGreaterThan(before! * 0.9);
  });

  it('streams "Waking …" to a client whose request wakes the model', async () => {
    const h = await start();
    await ask(h, 'alpha');
    await ask(h, 'beta');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    const stream = await client(h).chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/Waking alpha/);
    expect(slotOf(h, 'alpha')?.status).toBe('ready');
  });

  it('stops a warm model cold when host RAM would run short, and says why', async () => {
    const h = await start({ engine: { readHostMemory: async () => ({ memAvailableMiB: 4096 + 100, memTotalMiB: 16 * 1024 }) } });
    await ask(h, 'alpha');
    const pid = slotOf(h, 'alpha')!.pid!;
    await ask(h, 'beta');
    expect(statusOf(h, 'alpha')).toBe('unloaded');
    await waitFor(() => !isGroupAlive(pid), 'alpha stopped');
    expect(h.engine.logs(500).some((l) => /not putting alpha to sleep: its weights' copy in host RAM \(.+ GiB\) would leave .+ GiB available, less than the 4\.0 GiB kept free/.test(l.text))).toBe(
      true,
    );
    expect(h.engine.swapHistory({}).map((r) => r.action)).toEqual(['load', 'unload', 'load']);
  });

  it('falls back to a cold load when the resume runs out of memory (the scheduler dies, HTTP stays up)', async () => {
    const h = await start({
      models: [
        { id: 'alpha', gpus: [0], env: { SGLANG_SIM_FAIL: 'oom-resume' } },
        { id: 'beta', gpus: [0] },
      ],
      catalog: (input) => (input.backend = { ...input.backend, sleepTimeoutS: 2 }),
    });
    const first = await ask(h, 'alpha');
    const pid = slotOf(h, 'alpha')!.pid!;
    await ask(h, 'beta');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    expect(await ask(h, 'alpha')).toBe(first);
    const slot = slotOf(h, 'alpha')!;
    expect(slot.status).toBe('ready');
    expect(slot.pid).not.toBe(pid);
    expect(isGroupAlive(pid)).toBe(false);
    const wake = h.engine.swapHistory({}).find((r) => r.action === 'wake')!;
    expect(wake).toMatchObject({ outcome: 'failed', fallback: expect.stringMatching(/waking alpha failed \(\/resume_memory_occupation did not answer within 2 s\); loading it cold/) });
    expect(h.engine.loadHistory({ model: 'alpha' }).map((r) => r.outcome)).toEqual(['ready', 'ready']);
  });

  it('falls back to a cold load when the model answers differently after waking (weights lost)', async () => {
    const h = await start({
      models: [
        { id: 'alpha', gpus: [0], env: { SGLANG_SIM_FAIL: 'lose-cpu-backup' } },
        { id: 'beta', gpus: [0] },
      ],
    });
    const first = await ask(h, 'alpha');
    const pid = slotOf(h, 'alpha')!.pid!;
    await ask(h, 'beta');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    expect(await ask(h, 'alpha')).toBe(first);
    expect(slotOf(h, 'alpha')!.pid).not.toBe(pid);
    const wake = h.engine.swapHistory({}).find((r) => r.action === 'wake')!;
    expect(wake.fallback).toMatch(/it answers differently after waking .*its weights did not come back/);
  });

  it('keeps at most backend.maxSleepers asleep: the one asleep longest is stopped', async () => {
    const h = await start({
      models: [
        { id: 'alpha', gpus: [0] },
        { id: 'gamma', gpus: [0] },
        { id: 'beta', gpus: [0] },
      ],
      warm: ['alpha', 'gamma'],
      catalog: (input) => (input.backend = { ...input.backend, maxSleepers: 1 }),
    });
    await ask(h, 'alpha');
    await ask(h, 'gamma');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    await ask(h, 'beta');
    expect(slotOf(h, 'gamma')?.status).toBe('sleeping');
    expect(statusOf(h, 'alpha')).toBe('unloaded');
  });

  it('idle unload and stop end sleeping servers too', async () => {
    const h = await start({ catalog: (input) => (input.models = input.models!.map((m) => (m.id === 'alpha' ? { ...m, idleUnloadS: 3 } : m))) });
    await ask(h, 'alpha');
    const pid = slotOf(h, 'alpha')!.pid!;
    await ask(h, 'beta');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    await waitFor(() => h.engine.swapHistory({}).at(-1)?.action === 'unload', 'the idle unload of the sleeper');
    expect(h.engine.swapHistory({}).at(-1)).toMatchObject({ action: 'unload', modelId: 'alpha', cause: 'idle' });
    expect(statusOf(h, 'alpha')).toBe('unloaded');
    expect(isGroupAlive(pid)).toBe(false);

    // And `stop` (the engine stopping every slot) ends a sleeper.
    await ask(h, 'alpha');
    const second = slotOf(h, 'alpha')!.pid!;
    await ask(h, 'beta');
    expect(slotOf(h, 'alpha')?.status).toBe('sleeping');
    await h.engine.stop('stop');
    expect(isGroupAlive(second)).toBe(false);
    expect(h.engine.state().slots.every((s) => s.status === 'stopped')).toBe(true);
  });
});
