import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { hostEngine, type HostedEngine } from '../../electron/engine/api/host-engine.js';
import { writeDemoHost } from '../../electron/engine/catalog/write-demo-host.js';
import { freePort } from '../fakes/sglang-sim/sim-harness.js';
import { waitFor } from './support/sim-host.js';

// A request through the router for a model that is not serving launches it: the fit estimate refuses
// one that cannot fit its GPUs before anything starts, as it does a manual switch. The demo host's
// KAT-Dev (72B, 8-bit AWQ) put back on two RTX 3090s (the fake nvidia-smi's) needs ~34 GiB a GPU.

let dir: string;
let hosted: HostedEngine;
let client: OpenAI;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-router-fit-'));
  process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-nvidia-smi-state.json');
  const configPath = await writeDemoHost({ dir, routerPort: await freePort(), backendPort: await freePort(), timeScale: 0.02 });
  const doc = parseDocument(await readFile(configPath, 'utf8'));
  const kat = (doc.toJS() as { models: { id: string }[] }).models.findIndex((m) => m.id === 'kat-dev-awq-8bit');
  doc.setIn(['models', kat, 'tp'], 2);
  doc.setIn(['models', kat, 'gpus'], doc.createNode([4, 5]));
  await writeFile(configPath, doc.toString());
  const result = await hostEngine({ configPath, stateDir: join(dir, 'state'), log: () => undefined });
  if (!result.ok) throw new Error(result.message);
  hosted = result.hosted;
  client = new OpenAI({ baseURL: `${hosted.server.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
  // The estimate needs the GPUs' memory: wait for the first nvidia-smi tick.
  await waitFor(async () => (await hosted.engine.gpu()).samples.length > 0, 'the fake GPUs');
});
afterAll(async () => {
  await hosted?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the router and the fit estimate', () => {
  it.each([false, true])('refuses a model that will not fit before launching anything (stream: %s): 409 model_will_not_fit naming the GPU and the shortfall', async (stream) => {
    const err = await client.chat.completions.create({ model: 'kat-dev', messages: [{ role: 'user', content: 'hi' }], stream }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(409);
    expect(apiError.code).toBe('model_will_not_fit');
    expect(apiError.message).toMatch(/GPU [45] .*GiB/);
    expect(apiError.message).toMatch(/switch --force kat-dev-awq-8bit/);
    // Nothing was launched: no slot is loading or holds it, no load was recorded.
    const state = hosted.engine.state();
    expect(state.slots.filter((s) => s.status !== 'stopped')).toEqual([]);
    expect(await hosted.engine.loadHistory({})).toEqual([]);
    expect(hosted.engine.requestLog({ model: 'kat-dev-awq-8bit' }).at(0)).toMatchObject({ status: 409, error: 'model_will_not_fit' });
  });
});
