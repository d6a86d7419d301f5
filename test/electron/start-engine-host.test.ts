import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState, LoadRecord } from '../../shared/engine-state.js';
import { writeDemoHost } from '../../electron/engine/catalog/write-demo-host.js';
import { dispatchApiCall } from '../../electron/engine/api/dispatch-api-call.js';
import { startAdminServer } from '../../electron/engine/api/testing/start-admin-server.js';
import { startEngineHost, startEngineProcess, type EngineHost } from '../../electron/main/start-engine-host.js';
import { CLI_BIN, waitFor } from '../integration/support/sim-host.js';
import { freePort } from '../fakes/sglang-sim/sim-harness.js';
import { nextEvent } from './support/next-event.js';

// The desktop app's engine, without Electron: its own supervised engine process on the demo catalog,
// then a second app instance on the same catalog attaching to it over /api/ws.

let dir: string;
let configPath: string;
const hosts: EngineHost[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-engine-host-'));
  configPath = await writeDemoHost({ dir, routerPort: await freePort(), backendPort: await freePort(), timeScale: 0.02 });
  process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-nvidia-smi-state.json');
});
afterAll(async () => {
  for (const host of hosts.reverse()) await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startEngineHost', () => {
  it('starts its own engine process (supervised): handlers answer, events flow', async () => {
    const host = await startEngineHost(['electron', '.', '--config', configPath], {
      stateDir: join(dir, 'state'),
      spawnEngine: (launch, where) => startEngineProcess(launch, { ...where, cliScript: CLI_BIN }),
      supervisor: { echo: () => undefined },
    });
    hosts.push(host);
    expect(host.attached).toBe(false);
    const state = await dispatchApiCall(host.handlers, 'state.get', {});
    expect(state).toMatchObject({ ok: true, result: { configPath, activeModel: null } });

    const ready = nextEvent(host, (e) => (e.type === 'load' ? e.record : undefined));
    await expect(dispatchApiCall(host.handlers, 'models.switchTo', { model: 'qwen' })).resolves.toMatchObject({ ok: true });
    expect(await ready).toMatchObject({ modelId: 'qwen2.5-7b-instruct', outcome: 'ready' } satisfies Partial<LoadRecord>);
  });

  it('a second instance attaches over the WebSocket: same engine, same errors, same events', async () => {
    const attached = await startEngineHost(['electron', '.', '--config', configPath], { stateDir: join(dir, 'state-2') });
    hosts.push(attached);
    expect(attached.attached).toBe(true);
    const outcome = await dispatchApiCall(attached.handlers, 'state.get', {});
    expect(outcome.ok && (outcome.result as EngineState).activeModel).toBe('qwen2.5-7b-instruct');

    await expect(dispatchApiCall(attached.handlers, 'models.switchTo', { model: 'nope' })).resolves.toMatchObject({ ok: false, error: { code: 'unknown_model' } });

    const failed = nextEvent(attached, (e) => (e.type === 'load' && e.record.outcome === 'failed' ? e.record : undefined));
    await dispatchApiCall(attached.handlers, 'models.switchTo', { model: 'kat-dev' });
    expect(await failed).toMatchObject({ modelId: 'kat-dev-awq-8bit', failure: { cause: 'oom' } });
  });

  it('attaches with the admin token file of its state dir, and refuses to start beside an engine that locks it out', async () => {
    const sameState = await startEngineHost(['electron', '.', '--config', configPath], { stateDir: join(dir, 'state') });
    hosts.push(sameState);
    expect(sameState.attached).toBe(true);
    expect(await dispatchApiCall(sameState.handlers, 'state.get', {})).toMatchObject({ ok: true });

    // An engine of another user: no key of ours opens it and /api/session hands us nothing.
    const foreign = await startAdminServer({ peerUid: async () => null });
    try {
      const lockedConfig = join(dir, 'locked.yaml');
      await writeFile(lockedConfig, `router:\n  port: ${new URL(foreign.url).port}\n`);
      await expect(startEngineHost(['electron', '.', '--config', lockedConfig], { stateDir: join(dir, 'state-3') })).rejects.toThrow(/already serves .* but refuses this user's admin key/);
    } finally {
      await foreign.close();
    }
  });

  it('a catalog that does not load is an error naming the file', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'models:\n  - id: [unclosed\n');
    await expect(startEngineHost(['electron', '--config', broken])).rejects.toThrow(/broken\.yaml/);
  });

  it('no catalog yet: its engine process starts in setup mode, and the simulated host restarts it on the demo catalog, same port', async () => {
    const missing = join(dir, 'first-run', 'switchboard.yaml');
    const port = await freePort();
    const host = await startEngineHost(['electron', '.', '--config', missing, '--port', String(port)], {
      stateDir: join(dir, 'first-run', 'state'),
      spawnEngine: (launch, where) => startEngineProcess(launch, { ...where, cliScript: CLI_BIN }),
      supervisor: { echo: () => undefined },
    });
    hosts.push(host);
    expect(host.url).toBe(`http://127.0.0.1:${port}`);
    const first = await dispatchApiCall(host.handlers, 'state.get', {});
    expect(first).toMatchObject({ ok: true, result: { setup: { catalogPath: missing }, models: [] } });

    const statuses: string[] = [];
    host.engineProcess!.onStatus((s) => statuses.push(s.phase));
    await expect(dispatchApiCall(host.handlers, 'setup.startSimulatedHost', {})).resolves.toMatchObject({ ok: true, result: { restarting: true } });
    const after = await waitFor(
      async () => {
        const outcome = await dispatchApiCall(host.handlers, 'state.get', {});
        return outcome.ok && (outcome.result as EngineState).models.length > 0 ? (outcome.result as EngineState) : null;
      },
      'the engine on the simulated host',
      30_000,
    );
    expect(after.setup).toBeUndefined();
    expect(after.configPath).toBe(join(dir, 'first-run', 'state', 'simulated-host', 'switchboard.yaml'));
    expect(host.url).toBe(`http://127.0.0.1:${port}`);
    expect(host.engineProcess!.status()).toMatchObject({ phase: 'running', crashes: 0 });
    expect(statuses).toContain('restarting');
    // The fake nvidia-smi of the simulated host answers: its environment reached the new engine.
    const gpus = await dispatchApiCall(host.handlers, 'gpu.overview', {});
    expect(gpus.ok && JSON.stringify(gpus.result)).toMatch(/RTX 3090/);
  });
});
