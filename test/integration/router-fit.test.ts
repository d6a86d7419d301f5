import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { hostEngine, type HostedEngine } from '../../electron/engine/api/host-engine.js';
import { writeDemoHost } from '../../electron/engine/catalog/write-demo-host.js';
import { freePort } from '../fakes/sglang-sim/sim-harness.js';
import { runCli } from '../../electron/cli/testing/run-cli.js';
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

function expectNothingLaunched(): void {
  // No slot is loading or holds KAT-Dev, no load of it was recorded.
  expect(hosted.engine.state().slots.filter((s) => s.modelId === 'kat-dev-awq-8bit' || (s.status !== 'stopped' && s.status !== 'ready'))).toEqual([]);
  expect(hosted.engine.loadHistory({ model: 'kat-dev-awq-8bit' })).toEqual([]);
}

describe('the router and the fit estimate', () => {
  it('refuses a model that will not fit before launching anything: 409 model_will_not_fit naming the GPU and the shortfall', async () => {
    const err = await client.chat.completions.create({ model: 'kat-dev', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(409);
    expect(apiError.code).toBe('model_will_not_fit');
    expect(apiError.message).toMatch(/GPU [45] .*GiB/);
    expect(apiError.message).toMatch(/switch --force kat-dev-awq-8bit/);
    expectNothingLaunched();
    expect(hosted.engine.requestLog({ model: 'kat-dev-awq-8bit' }).at(0)).toMatchObject({ status: 409, error: 'model_will_not_fit' });
  });

  it('a stream gets the refusal as its last status line and an error event, and the SDK throws it; nothing launched', async () => {
    const stream = await client.chat.completions.create({ model: 'kat-dev', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const texts: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) texts.push(chunk.choices[0]?.delta.content ?? '');
    })().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/kat-dev-awq-8bit will not fit: .*GPU [45] .*GiB.*switch --force kat-dev-awq-8bit/);
    expect(texts.join('')).toMatch(/will not fit/);
    expectNothingLaunched();
    expect(hosted.engine.requestLog({ model: 'kat-dev-awq-8bit' }).at(0)).toMatchObject({ status: 200, stream: true, error: 'model_will_not_fit' });
  });

  it('the check runs in the load queue: a refused load between requests for a model that fits fails only its own request (arrival order itself: the 32-stream test in router-openai)', async () => {
    // A request for a model that fits, then one for the model that does not, then the first again:
    // the refusal must not overtake or block the loads around it.
    const ask = (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }).then(
        (r) => `ok ${r.model}`,
        (e: unknown) => `${(e as InstanceType<typeof OpenAI.APIError>).status} ${(e as InstanceType<typeof OpenAI.APIError>).code}`,
      );
    const fits = hosted.engine.catalog().models.find((m) => m.id !== 'kat-dev-awq-8bit' && m.modelPath !== undefined)!.id;
    const outcomes = await Promise.all([ask(fits), ask('kat-dev'), ask(fits)]);
    expect(outcomes).toEqual([`ok ${fits}`, '409 model_will_not_fit', `ok ${fits}`]);
    expect(hosted.engine.loadHistory({}).map((r) => [r.modelId, r.outcome])).toEqual([[fits, 'ready']]);
    const logged = hosted.engine.logs(500).map((l) => l.text);
    expect(logged.some((t) => t.startsWith('not loading kat-dev-awq-8bit: kat-dev-awq-8bit will not fit'))).toBe(true);
  });

  it('a loaded model shows its predicted memory next to what SGLang logged and what /server_info says; the CLI prints both', async () => {
    const fits = hosted.engine.catalog().models.find((m) => m.id !== 'kat-dev-awq-8bit' && m.modelPath !== undefined)!;
    await hosted.engine.unload(fits.id, 'manual');
    const run = await runCli(['switch', fits.id, '--url', hosted.server.url, '--state-dir', join(dir, 'state')]);
    expect(run.code, run.stderr).toBe(0);
    if (process.env.FIT_TABLE) console.log(run.stdout);
    const slot = await waitFor(() => {
      const s = hosted.engine.state().slots.find((x) => x.modelId === fits.id && x.status === 'ready');
      return s?.fit?.actual.source === 'server_info' ? s : null;
    }, 'the server_info figures');
    const fit = slot.fit!;
    // The prediction was made when the load's turn came, from the config and the fake GPUs.
    expect(fit.predicted).toMatchObject({ verdict: expect.stringMatching(/^(fits|tight)$/), weightsPerGpuGib: expect.any(Number), kvTokens: expect.any(Number) });
    // What the simulated SGLang reported: its log lines and its /get_server_info (0.5.3.post1 has only the old name).
    const lines = hosted.engine
      .logs(2000)
      .filter((l) => l.modelId === fits.id)
      .map((l) => l.text);
    const logged = Number(/Load weight end\..*mem usage=([\d.]+) GB/.exec(lines.find((t) => t.includes('Load weight end'))!)![1]);
    const maxTokens = Number(/max_total_num_tokens=(\d+)/.exec(lines.find((t) => t.includes('max_total_num_tokens='))!)![1]);
    const info = (await (await fetch(`http://127.0.0.1:${slot.port}/get_server_info`)).json()) as { internal_states: { memory_usage: { weight: number; token_capacity: number } }[] };
    expect(fit.actual).toEqual({ weightsPerGpuGib: info.internal_states[0]!.memory_usage.weight, kvTokens: info.internal_states[0]!.memory_usage.token_capacity, source: 'server_info' });
    expect(fit.actual.weightsPerGpuGib).toBe(logged);
    expect(fit.actual.kvTokens).toBe(maxTokens);
    // The CLI's last line: the figures as the log gave them at ready, next to the prediction.
    expect(run.stdout).toMatch(
      new RegExp(
        `memory: weights ${logged.toFixed(2)} GiB/GPU \\(predicted [\\d.]+ GiB, [+−][\\d.]+ %\\) · KV cache ${maxTokens.toLocaleString('en-US')} tokens \\(predicted [\\d,]+, [+−][\\d.]+ %\\)`,
      ),
    );
  });

  it('`switchboard switch` refuses it (exit 1, the GPU and shortfall, how to force) and launches nothing', async () => {
    const run = await runCli(['switch', 'kat-dev', '--url', hosted.server.url, '--state-dir', join(dir, 'state')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kat-dev-awq-8bit will not fit: .*GPU [45] .*GiB/);
    expect(run.stderr).toMatch(/--force/);
    expectNothingLaunched();
  });

  it('POST /api/models/{id}/switch answers 409 will_not_fit (wait or not); a non-boolean force is a 400', async () => {
    const token = (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
    const post = (body: unknown) =>
      fetch(`${hosted.server.url}/api/models/kat-dev/switch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const wait of [false, true]) {
      const res = await post({ wait });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'will_not_fit', message: expect.stringMatching(/GPU [45] /) });
    }
    const bad = await post({ force: 'yes' });
    expect(bad.status).toBe(400);
    expectNothingLaunched();
  });

  it('force skips the check: the switch launches the model', async () => {
    await expect(hosted.engine.ensureReady('kat-dev', 'manual')).rejects.toMatchObject({ code: 'will_not_fit' });
    const forced = hosted.engine.ensureReady('kat-dev', 'manual', { force: true }).then(
      () => 'ready',
      (e: unknown) => (e as { code?: string }).code,
    );
    await waitFor(
      () => hosted.engine.loadHistory({ model: 'kat-dev-awq-8bit' }).length > 0 || hosted.engine.state().slots.some((s) => s.modelId === 'kat-dev-awq-8bit' && s.status !== 'stopped'),
      'kat-dev launched',
    );
    expect(await forced).not.toBe('will_not_fit');
  });
});
