import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState } from '../../shared/engine-state.js';
import { writeDemoHost } from '../../electron/engine/catalog/write-demo-host.js';
import { dispatchApiCall } from '../../electron/engine/api/dispatch-api-call.js';
import { EngineSupervisor, type EngineLaunch, type EngineProcessStatus } from '../../electron/main/engine-supervisor.js';
import { startEngineHost, startEngineProcess, type EngineHost, type EngineProcessPlace } from '../../electron/main/start-engine-host.js';
import { isProcessLive, readProcStat } from '../../electron/system/proc-process.js';
import { freePort } from '../fakes/sglang-sim/sim-harness.js';
import { nextEvent } from './support/next-event.js';
import { CLI_BIN, waitFor } from '../integration/support/sim-host.js';

// The desktop app's engine runs as its own process (`switchboard serve --supervised`) under an
// EngineSupervisor in the main process. Here the supervisor runs in plain Node and spawns the engine
// with node instead of the Electron binary (the only difference: ELECTRON_RUN_AS_NODE is ignored).

let dir: string;
const hosts: EngineHost[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-supervisor-'));
  process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-nvidia-smi-state.json');
});
afterEach(async () => {
  for (const host of hosts.splice(0).reverse()) await host.close();
  for (const child of children) killGroup(child);
  children.clear();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

const alive = (pid: number): boolean => isProcessLive(readProcStat(pid));

async function demoCatalog(name: string): Promise<{ configPath: string; stateDir: string }> {
  const hostDir = join(dir, name);
  const configPath = await writeDemoHost({ dir: hostDir, routerPort: await freePort(), backendPort: await freePort(), timeScale: 0.02 });
  return { configPath, stateDir: join(hostDir, 'state') };
}

function hostOptions(stateDir: string) {
  return {
    stateDir,
    spawnEngine: (launch: EngineLaunch, where: EngineProcessPlace) => {
      const child = startEngineProcess(launch, { ...where, cliScript: CLI_BIN });
      children.add(child);
      return child;
    },
    supervisor: { restartDelayMs: () => 100, echo: () => undefined },
  };
}

async function state(host: EngineHost): Promise<EngineState | null> {
  const outcome = await dispatchApiCall(host.handlers, 'state.get', {});
  return outcome.ok ? (outcome.result as EngineState) : null;
}

async function recordedServerPids(stateDir: string): Promise<number[]> {
  const text = await readFile(join(stateDir, 'servers.json'), 'utf8').catch(() => '{"servers":[]}');
  return (JSON.parse(text) as { servers: { pid: number }[] }).servers.map((s) => s.pid);
}

describe('the desktop app’s engine process', () => {
  it('comes back by itself after a SIGKILL: the window’s connection reconnects and the running model is adopted, not reloaded', async () => {
    const { configPath, stateDir } = await demoCatalog('crash');
    const host = await startEngineHost(['electron', '.', '--config', configPath], hostOptions(stateDir));
    hosts.push(host);
    expect(host.attached).toBe(false);
    expect(host.engineProcess?.status()).toMatchObject({ phase: 'running', crashes: 0 });

    const ready = nextEvent(host, (e) => (e.type === 'load' && e.record.outcome === 'ready' ? e.record : undefined));
    await expect(dispatchApiCall(host.handlers, 'models.switchTo', { model: 'qwen' })).resolves.toMatchObject({ ok: true });
    expect(await ready).toMatchObject({ modelId: 'qwen2.5-7b-instruct' });
    const [serverPid] = await waitFor(async () => {
      const pids = await recordedServerPids(stateDir);
      return pids.length > 0 ? pids : null;
    }, 'the SGLang server to be recorded');

    const connection: string[] = [];
    host.onConnection!((s) => connection.push(s));
    const statuses: EngineProcessStatus[] = [];
    host.engineProcess!.onStatus((s) => statuses.push(s));
    const enginePid = host.engineProcess!.status().pid!;
    process.kill(enginePid, 'SIGKILL');

    await waitFor(() => statuses.some((s) => s.phase === 'running'), 'the engine to run again', 30_000);
    const crashed = statuses.find((s) => s.phase === 'restarting')!;
    expect(crashed.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(crashed.message).toMatch(/stopped unexpectedly \(killed by SIGKILL\); restarting/);
    expect(host.engineProcess!.status()).toMatchObject({ phase: 'running', crashes: 1 });
    expect(host.engineProcess!.status().pid).not.toBe(enginePid);

    // The same handlers and subscriptions work again, without the caller doing anything.
    await waitFor(() => connection.includes('closed') && connection.at(-1) === 'open', 'the WebSocket to reconnect', 15_000);
    const after = await waitFor(
      async () => {
        const s = await state(host);
        return s?.slots.some((slot) => slot.modelId === 'qwen2.5-7b-instruct' && slot.status === 'ready') ? s : null;
      },
      'the new engine to adopt the running server',
      30_000,
    );
    expect(after.notices.map((n) => n.message).join('\n')).toMatch(/adopt/i);
    expect(alive(serverPid!)).toBe(true); // adopted: the same server, no reload
  });

  it('quitting stops the engine and every SGLang server it started; nothing is left', async () => {
    const { configPath, stateDir } = await demoCatalog('quit');
    const host = await startEngineHost(['electron', '.', '--config', configPath], hostOptions(stateDir));
    const ready = nextEvent(host, (e) => (e.type === 'load' && e.record.outcome === 'ready' ? e.record : undefined));
    await dispatchApiCall(host.handlers, 'models.switchTo', { model: 'qwen' });
    await ready;
    const serverPids = await waitFor(async () => {
      const pids = await recordedServerPids(stateDir);
      return pids.length > 0 ? pids : null;
    }, 'the SGLang server to be recorded');
    const enginePid = host.engineProcess!.status().pid!;

    await host.close();
    expect(host.engineProcess!.status().phase).toBe('stopped');
    expect(alive(enginePid)).toBe(false);
    for (const pid of serverPids) expect(alive(pid)).toBe(false);
  });

  it('an engine that cannot start (its port is someone else’s) fails the start with its own words', async () => {
    const { configPath, stateDir } = await demoCatalog('busy');
    const port = Number(/port: (\d+)/.exec(await readFile(configPath, 'utf8'))![1]);
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startEngineHost(['electron', '.', '--config', configPath], hostOptions(stateDir))).rejects.toThrow(/EADDRINUSE|in use|busy/i);
    } finally {
      squatter.close();
    }
  });

  it('serve --supervised without the app’s IPC channel refuses to run', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'serve', '--supervised', '--config', join(dir, 'none.yaml')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--supervised needs an IPC channel/);
  });

  it('stops its SGLang servers and exits when the app goes away (IPC channel closed)', async () => {
    const { configPath, stateDir } = await demoCatalog('orphan');
    const child = startEngineProcess({ configPath }, { stateDir, cliScript: CLI_BIN });
    children.add(child);
    const ready = await new Promise<{ url: string; adminToken: string }>((resolve) =>
      child.on('message', (m: { type: string; url: string; adminToken: string }) => m.type === 'switchboard:ready' && resolve(m)),
    );
    const res = await fetch(`${ready.url}/api/models/qwen/switch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ready.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ wait: true }),
    });
    expect(res.status, await res.text()).toBe(200);
    const serverPids = await waitFor(async () => {
      const pids = await recordedServerPids(stateDir);
      return pids.length > 0 ? pids : null;
    }, 'the SGLang server to be recorded');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.disconnect();
    expect(await exited).toBe(0);
    for (const pid of serverPids) expect(alive(pid)).toBe(false);
  });
});

describe('EngineSupervisor', () => {
  /** A stand-in engine process: says ready, then runs `then` (plain node, an IPC channel like the real one). */
  function fakeEngine(then: string): (launch: EngineLaunch) => ChildProcess {
    return (launch) => {
      const script = `process.send({ type: 'switchboard:ready', url: 'http://127.0.0.1:9', adminToken: 't', configPath: ${JSON.stringify(launch.configPath)} }); ${then}`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
      children.add(child);
      return child;
    };
  }

  it('gives up after a crash loop, says why with the engine’s last words, and restart() tries again', async () => {
    const supervisor = new EngineSupervisor({
      launch: { configPath: 'a.yaml' },
      spawnEngine: fakeEngine(`console.error('boom: CUDA driver gone'); setTimeout(() => process.exit(7), 20);`),
      restartDelayMs: () => 10,
      crashLoop: { max: 2, windowMs: 60_000 },
      echo: () => undefined,
    });
    const statuses: EngineProcessStatus[] = [];
    supervisor.onStatus((s) => statuses.push(s));
    await supervisor.start();
    const failed = await waitFor(() => statuses.find((s) => s.phase === 'failed'), 'the supervisor to give up');
    expect(failed.crashes).toBe(3);
    expect(failed.message).toMatch(/stopped unexpectedly 3 times within 60 s \(last: exit code 7\); not restarting/);
    expect(failed.lastExit?.output).toContain('boom: CUDA driver gone');
    expect(statuses.filter((s) => s.phase === 'restarting' && /restarting it in 10 ms/.test(s.message))).toHaveLength(2);

    await supervisor.restart();
    await waitFor(() => supervisor.status().phase === 'running' || statuses.at(-1)?.phase === 'restarting', 'a manual restart');
    await supervisor.stop();
    expect(supervisor.status().phase).toBe('stopped');
  });

  it('starts the engine on the catalog it asks for, without counting a crash', async () => {
    const launches: EngineLaunch[] = [];
    const spawnFake = fakeEngine(`process.send({ type: 'switchboard:restart', configPath: 'simulated.yaml', env: { FAKE: '1' } }, () => process.exit(0));`);
    const supervisor = new EngineSupervisor({
      launch: { configPath: 'empty.yaml' },
      spawnEngine: (launch) => {
        launches.push(launch);
        // The second engine stays up.
        return launches.length === 1 ? spawnFake(launch) : fakeEngine('setInterval(() => undefined, 1000);')(launch);
      },
      echo: () => undefined,
    });
    await supervisor.start();
    await waitFor(() => launches.length === 2 && supervisor.status().phase === 'running', 'the engine on the new catalog');
    expect(launches[1]).toEqual({ configPath: 'simulated.yaml', env: { FAKE: '1' } });
    expect(supervisor.status()).toMatchObject({ crashes: 0, lastExit: null });
    await supervisor.stop();
  });

  it('SIGKILLs an engine that does not stop in time, then sweeps what it left', async () => {
    let reaped = 0;
    const lines: string[] = [];
    const supervisor = new EngineSupervisor({
      launch: { configPath: 'a.yaml' },
      spawnEngine: fakeEngine(`process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('armed'); setInterval(() => undefined, 1000);`),
      stopTimeoutMs: 300,
      reapLeftovers: async () => {
        reaped += 1;
      },
      echo: (line) => lines.push(line),
    });
    await supervisor.start();
    const pid = supervisor.status().pid!;
    await waitFor(() => lines.includes('armed'), 'the fake to ignore SIGTERM');
    await supervisor.stop();
    expect(lines).toContain('ignoring SIGTERM');
    expect(alive(pid)).toBe(false);
    expect(reaped).toBe(1);
  });
});
