import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../engine/api/testing/start-admin-server.js';
import { runCli, spawnCli } from './testing/run-cli.js';
import { startCliTestEngine, type CliTestEngine } from './testing/start-cli-test-engine.js';

let t: CliTestEngine;
beforeEach(async () => {
  t = await startCliTestEngine();
});
afterEach(async () => {
  await t.close();
});

const OOM = { cause: 'oom' as const, message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic or contextLength' };

describe('switchboard status', () => {
  it('shows a stopped engine', async () => {
    const { code, stdout } = await runCli(['status', '--url', t.url]);
    expect(code).toBe(0);
    // The scripted engine started 65 s ago; a slow CLI start on a busy machine adds seconds.
    expect(stdout).toMatch(new RegExp(`^engine   ${t.url.replace(/\./g, '\\.')} · v0\\.0\\.0-test · up 1m\\d\\ds$`, 'm'));
    expect(stdout).toContain('active   (none)');
    expect(stdout).toContain('slot main  stopped  (no model)  (127.0.0.1:8001)');
  });

  it('shows the phase, progress, elapsed time and ETA of a load', async () => {
    t.engine.ensureReady('llama-70b', 'manual').catch(() => undefined);
    t.engine.progress('weights', 0.45, 'shard 4/9');
    const { stdout } = await runCli(['status', '--url', t.url]);
    expect(stdout).toContain('slot main  loading  llama-70b');
    expect(stdout).toContain('  phase    weights 45% (shard 4/9)');
    expect(stdout).toMatch(/ {2}elapsed {2}0m0\ds · ETA ~0m20s/);
  });

  it('shows the last failure with its hint', async () => {
    t.engine.ensureReady('qwen', 'manual').catch(() => undefined);
    t.engine.fail(OOM);
    const { stdout } = await runCli(['status', '--url', t.url]);
    expect(stdout).toContain('slot main  failed  qwen-32b');
    expect(stdout).toContain('  failure  oom: CUDA out of memory while loading weights');
    expect(stdout).toContain('  hint     lower memFractionStatic or contextLength');
  });
});

describe('switchboard models', () => {
  it('prints one row per model', async () => {
    const { code, stdout } = await runCli(['models', '--url', t.url]);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID +ALIASES +TP +GPUS +MODE +STATUS +TYPICAL LOAD$/);
    expect(rows[1]).toMatch(/^qwen-32b +qwen +2 +0,1 +cold +unloaded +0m40s$/);
    expect(rows[2]).toMatch(/^llama-70b +- +4 +0,1,2,3 +cold +unloaded +-$/);
    expect(rows[3]).toMatch(/^mistral-123b +mistral, large +4 +all +cold +unloaded +-$/);
  });
});

describe('switchboard switch', () => {
  it('prints each phase and exits 0 when the model is ready', async () => {
    t.engine.onSwitch = () =>
      setImmediate(() => {
        t.engine.progress('weights', 0.45, 'shard 4/9');
        t.engine.progress('weights', 0.55, 'shard 5/9');
        t.engine.progress('kv_cache');
        t.engine.progress('cuda_graphs', 0.5, 'bs=32 26/52');
        t.engine.ready();
      });
    const { code, stdout, stderr } = await runCli(['switch', 'qwen', '--url', t.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(t.engine.switches).toEqual([{ modelId: 'qwen-32b', cause: 'cli' }]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^⏳ launching · 0m0\ds · ~0m40s left$/);
    expect(lines[1]).toMatch(/^⏳ weights 45% \(shard 4\/9\) · 0m0\ds · ~0m20s left$/);
    expect(lines[2]).toMatch(/^⏳ weights 55% \(shard 5\/9\)/);
    expect(lines[3]).toMatch(/^⏳ kv_cache · /);
    expect(lines[4]).toMatch(/^⏳ cuda_graphs 50% \(bs=32 26\/52\)/);
    expect(lines[5]).toMatch(/^✅ ready in 0m0\ds$/);
    expect(lines).toHaveLength(6);
  });

  it('says so when the model is already ready', async () => {
    const first = t.engine.ensureReady('qwen-32b', 'manual');
    t.engine.ready();
    await first;
    const { code, stdout } = await runCli(['switch', 'qwen-32b', '--url', t.url]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('✅ qwen-32b is already ready');
  });

  it('prints the diagnosis, its hint and the last log lines, and exits 1 on failure', async () => {
    t.engine.onSwitch = () =>
      setImmediate(() => {
        t.engine.progress('weights', 0.1, 'shard 1/9');
        t.engine.fail({ ...OOM, lastLines: ['Load weight begin.', 'torch.OutOfMemoryError: CUDA out of memory.'] });
      });
    const { code, stdout, stderr } = await runCli(['switch', 'llama-70b', '--url', t.url]);
    expect(code).toBe(1);
    expect(stdout).toContain('⏳ weights 10% (shard 1/9)');
    expect(stderr).toContain('❌ failed: CUDA out of memory while loading weights — lower memFractionStatic or contextLength');
    expect(stderr).toContain('   │ torch.OutOfMemoryError: CUDA out of memory.');
  });

  it('falls back to the engine log when the failure carries no lines', async () => {
    t.engine.onSwitch = () =>
      setImmediate(() => {
        t.engine.log('RuntimeError: something broke');
        t.engine.fail({ cause: 'exited', message: 'SGLang exited with code 1', hint: 'see the log' });
      });
    const { code, stderr } = await runCli(['switch', 'llama-70b', '--url', t.url]);
    expect(code).toBe(1);
    expect(stderr).toContain('❌ failed: SGLang exited with code 1 — see the log');
    expect(stderr).toContain('   │ RuntimeError: something broke');
  });

  it('prints the known ids for an unknown model and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(['switch', 'gpt-5', '--url', t.url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe('switchboard switch: unknown model "gpt-5"; known: qwen-32b, llama-70b, mistral-123b');
  });

  it('leaves the switch to the engine and exits 130 on Ctrl-C', async () => {
    const cli = spawnCli(['switch', 'qwen', '--url', t.url]);
    await waitFor(() => cli.stdout().includes('⏳ launching'), 10_000, 'the first phase');
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(130);
    expect(cli.stderr()).toBe('interrupted — the switch continues in the engine; "switchboard status" shows it\n');
    expect(t.engine.switches).toEqual([{ modelId: 'qwen-32b', cause: 'cli' }]);
  });

  it('says how to start the engine when none answers', async () => {
    const { code, stderr } = await runCli(['switch', 'qwen', '--url', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr).toContain('no engine answering at http://127.0.0.1:9 — start it with "switchboard serve"');
  });
});

describe('switchboard stop', () => {
  it('stops the backend', async () => {
    const { code, stdout } = await runCli(['stop', '--url', t.url]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('⏹ stopped');
    expect(t.engine.stops).toEqual(['cli']);
  });
});

describe('switchboard logs', () => {
  beforeEach(() => {
    for (let i = 1; i <= 8; i += 1) t.engine.log(`line ${i}`);
  });

  it('prints the last N lines', async () => {
    const { code, stdout } = await runCli(['logs', '-n', '3', '--url', t.url]);
    expect(code).toBe(0);
    expect(stdout).toBe('line 6\nline 7\nline 8\n');
  });

  it('follows new lines with -f and exits 0 on Ctrl-C', async () => {
    const cli = spawnCli(['logs', '-f', '-n', '2', '--url', t.url]);
    await waitFor(() => t.engine.listenerCount() === 1 && cli.stdout().includes('line 8\n'), 10_000, 'the tail');
    t.engine.log('line 9');
    t.engine.log('line 10');
    await waitFor(() => cli.stdout().includes('line 10\n'), 10_000, 'the followed lines');
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout()).toBe('line 7\nline 8\nline 9\nline 10\n');
  });

  it('exits 1 when the engine goes away while following', async () => {
    const leaving = await startCliTestEngine();
    leaving.engine.log('last words');
    const cli = spawnCli(['logs', '-f', '--url', leaving.url]);
    await waitFor(() => leaving.engine.listenerCount() === 1 && cli.stdout().includes('last words\n'), 10_000, 'the tail');
    await leaving.close();
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toBe('the engine closed the event stream\n');
  });
});

describe('connection settings', () => {
  const ADMIN_KEY = 'admin-secret-0123456789';
  let secured: CliTestEngine;
  beforeEach(async () => {
    // As seen by an engine of another user: /api/session hands this client no token.
    secured = await startCliTestEngine({ router: { apiKeys: ['sk-inference'], adminKeys: [ADMIN_KEY] }, peerUid: async () => null });
  });
  afterEach(async () => {
    await secured.close();
  });

  it('asks the engine for its admin token when it runs as this user on this machine', async () => {
    const { code, stdout } = await runCli(['status', '--url', t.url]);
    expect(code).toBe(0);
    expect(stdout).toContain('active   (none)');
  });

  it("fails with the 401 message when it has no key and the engine is not its own user's", async () => {
    const { code, stderr } = await runCli(['status', '--url', secured.url]);
    expect(code).toBe(1);
    expect(stderr).toContain('switchboard status: the admin API needs an admin key');
  });

  it.each([
    ['--admin-key', ['--admin-key', ADMIN_KEY], {}],
    ['SWITCHBOARD_ADMIN_KEY', [], { SWITCHBOARD_ADMIN_KEY: ADMIN_KEY }],
  ])('sends the key from %s', async (_name, extraArgs, env) => {
    const { code, stdout } = await runCli(['status', '--url', secured.url, ...extraArgs], env);
    expect(code).toBe(0);
    expect(stdout).toContain('active   (none)');
  });

  it('never gets in with an inference key', async () => {
    const { code, stderr } = await runCli(['switch', 'qwen', '--url', secured.url, '--admin-key', 'sk-inference']);
    expect(code).toBe(1);
    expect(stderr).toContain('inference keys (router.apiKeys) do not open /api/');
    expect(secured.engine.switches).toEqual([]);
  });

  it('reads the admin token file of --state-dir', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'switchboard-cli-token-'));
    await writeFile(join(stateDir, 'admin-token'), `${secured.adminToken}\n`, { mode: 0o600 });
    const { code, stdout } = await runCli(['status', '--url', secured.url, '--state-dir', stateDir]);
    expect(code).toBe(0);
    expect(stdout).toContain('active   (none)');
  });

  it('gives up a stale token file for the token the engine hands this user', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'switchboard-cli-stale-'));
    await writeFile(join(stateDir, 'admin-token'), 'stale-token-of-another-engine-000000000000\n', { mode: 0o600 });
    const { code, stderr } = await runCli(['stop', '--url', t.url, '--state-dir', stateDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(t.engine.stops).toEqual(['cli']);
  });

  it('finds the engine and its admin key from the config router section, even when models are broken', async () => {
    const { port } = new URL(secured.url);
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-cli-config-'));
    const config = join(dir, 'switchboard.yaml');
    await writeFile(config, `router:\n  host: 0.0.0.0\n  port: ${port}\n  adminKeys: [${ADMIN_KEY}]\nmodels:\n  - id: broken\n    tp: many\n`);
    const { code, stdout, stderr } = await runCli(['status', '--config', config]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`engine   http://127.0.0.1:${port} ·`);
  });

  it('says so when what answers is not a Switchboard engine', async () => {
    const page = '<h1>Welcome to nginx!</h1>';
    const answer = `HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: ${page.length}\r\nconnection: close\r\n\r\n${page}`;
    const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(page));
    other.on('upgrade', (_req, socket: Duplex) => socket.end(answer));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const { code, stderr } = await runCli(['status', '--url', url]);
      expect(code).toBe(1);
      expect(stderr).toBe(`switchboard status: unexpected answer from ${url}: HTTP 404 ${page} — is that a switchboard engine?\n`);
    } finally {
      other.close();
    }
  });

  it('reports a missing --config file', async () => {
    const { code, stderr } = await runCli(['status', '--config', '/nonexistent/switchboard.yaml']);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read the config /nonexistent/switchboard.yaml');
  });
});
