// journalctl missing or failing at once: the log view says so (a line in the model's log, once, and an engine
// notice until journalctl shows entries), and the engine still switches. The JournalTail part needs no
// systemd; the engine part runs the systemd backend against the sandbox's real systemd.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema } from '../../shared/catalog-schema.js';
import type { SystemdAccessOptions } from '../../electron/engine/backends/systemd/create-unit-control.js';
import { JournalTail } from '../../electron/engine/backends/systemd/journal-tail.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, uniqueUnitName, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

const INVOCATION = '0123456789abcdef0123456789abcdef';

function tailWith(command: string[]) {
  const notices: string[] = [];
  const problems: (string | null)[] = [];
  let output = '';
  const tail = new JournalTail({
    unit: 'sglang.service',
    scope: 'system',
    invocationId: INVOCATION,
    command,
    onOutput: (chunk) => (output += chunk),
    onNotice: (line) => notices.push(line),
    onProblem: (message) => problems.push(message),
  });
  return { tail, notices, problems, output: () => output };
}

describe('JournalTail without a working journalctl', () => {
  it('journalctl not installed: says so once, with what to do, and starts nothing', async () => {
    const { tail, notices, problems } = tailWith(['/nonexistent/journalctl']);
    tail.start();
    const expected =
      "journalctl not found (/nonexistent/journalctl): install systemd's journalctl to see the SGLang logs of sglang.service; the model still loads and switches, without its log lines and load progress";
    expect(notices).toEqual([expected]);
    expect(problems).toEqual([expected]);
    expect(tail.pid).toBeUndefined();
    const startedAt = Date.now();
    await tail.drain(); // no settle wait for an end message that cannot come
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(notices).toHaveLength(1);
  });

  it('a name not on the PATH is not found either', () => {
    const { tail, notices } = tailWith(['journalctl-that-is-not-installed']);
    tail.start();
    expect(notices[0]).toMatch(/^journalctl not found \(journalctl-that-is-not-installed is not on the PATH\): install systemd's journalctl/);
    tail.stop();
  });

  it('journalctl exiting at once: says so once (its own line once too) while it is retried, and clears when entries come', async () => {
    // Fails at once twice, then follows: prints one entry of the invocation and waits.
    const dir = await makeTempDir();
    const counter = join(dir, 'runs');
    const script = join(dir, 'journalctl.sh');
    const entry = JSON.stringify({ __CURSOR: 'c1', _SYSTEMD_INVOCATION_ID: INVOCATION, MESSAGE: 'hello from the unit' });
    await writeFile(
      script,
      `#!/bin/sh
n=$(cat "${counter}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${counter}"
if [ $n -le 2 ]; then echo "Failed to open journal: Permission denied"; exit 1; fi
echo '${entry}'
exec sleep 30
`,
      { mode: 0o755 },
    );
    const { tail, notices, problems, output } = tailWith([script]);
    tail.start();
    try {
      await waitFor(() => output().includes('hello from the unit'), 'the entry after two failed starts');
      expect(tail.reconnects).toBe(2);
      expect(notices).toEqual([
        'Failed to open journal: Permission denied',
        'journalctl exited at once (exit code 1: Failed to open journal: Permission denied): the SGLang logs of sglang.service cannot be shown; retrying every few seconds',
      ]);
      expect(problems).toEqual([notices[1], null]);
    } finally {
      tail.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function makeTempDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  return mkdtemp(join(tmpdir(), 'journal-missing-'));
}

const skip = skipWithoutSandbox('journalctl missing');

describe.skipIf(skip)('the systemd backend without journalctl (sandbox) still switches', () => {
  let sandbox: SystemdSandbox;
  let baseDir: string;
  let host: SimHost | undefined;
  let engine: Engine | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox();
    baseDir = await makeSharedTempDir('switchboard-nojournal-');
  });
  afterEach(async () => {
    await engine?.close();
    await host?.cleanup();
    [engine, host] = [undefined, undefined];
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  async function startEngine(journalctlCommand: string[]): Promise<{ e: Engine; unit: string }> {
    host = await createSimHost([{ id: 'a' }, { id: 'b' }], { baseDir });
    const unit = uniqueUnitName('switchboard-nojournal');
    const unitDir = '/run/systemd/system';
    const access: SystemdAccessOptions = { systemctlCommand: sandbox.command('systemctl'), journalctlCommand, dropInRoot: sandbox.hostPath(unitDir) };
    await mkdir(sandbox.hostPath(unitDir), { recursive: true });
    await writeFile(sandbox.hostPath(join(unitDir, unit)), ['[Service]', 'Type=simple', 'ExecStart=/bin/false', 'KillMode=control-group', 'Restart=on-failure', 'TimeoutStopSec=10', ''].join('\n'));
    const catalog = catalogSchema.parse({ ...host.catalogInput, backend: { ...host.catalogInput.backend, kind: 'systemd', unit } });
    engine = await createEngine({ catalog, configPath: 'test', stateDir: host.dir, probeIntervalMs: 50, systemd: access });
    return { e: engine, unit };
  }

  const logOf = (e: Engine, modelId: string) =>
    e
      .logs(100_000)
      .filter((l) => l.modelId === modelId)
      .map((l) => l.text);

  it("journalctl not installed: A→B switch, each model's log says so, and a notice names the unit", async () => {
    const { e, unit } = await startEngine(['/nonexistent/journalctl']);
    await e.ensureReady('a', 'manual');
    expect(await e.ensureReady('b', 'manual')).toMatchObject({ status: 'ready', modelId: 'b' });
    const line = `journalctl: journalctl not found (/nonexistent/journalctl): install systemd's journalctl to see the SGLang logs of ${unit}; the model still loads and switches, without its log lines and load progress`;
    for (const model of ['a', 'b']) expect(logOf(e, model).filter((l) => l.includes('journalctl not found'))).toEqual([line]);
    expect(e.state().notices).toContainEqual(expect.objectContaining({ id: `journal:${unit}`, level: 'warning', message: line.slice('journalctl: '.length) }));
  });

  it('journalctl failing at once (the sandbox cannot run it): A→B switch, the log says so once per model', async () => {
    const { e, unit } = await startEngine(sandbox.command('/nonexistent/journalctl'));
    await e.ensureReady('a', 'manual');
    expect(await e.ensureReady('b', 'manual')).toMatchObject({ status: 'ready', modelId: 'b' });
    for (const model of ['a', 'b']) {
      const said = logOf(e, model).filter((l) => l.startsWith('journalctl: journalctl exited at once'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(`the SGLang logs of ${unit} cannot be shown`);
    }
    expect(e.state().notices.find((n) => n.id === `journal:${unit}`)?.message).toMatch(/^journalctl exited at once \(exit code \d+/);
  });
});
