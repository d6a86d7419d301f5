import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nvidiaSmiProblem, runNvidiaSmi, startNvidiaSmi, stopNvidiaSmi, streamNvidiaSmi } from './run-nvidia-smi.js';

// Stand-ins written as shell scripts (they start in milliseconds); the real fake's hang mode is exercised
// through the sampler in electron/engine/gpu/gpu-sampler-hang.test.ts.
let dir: string;
const script = async (name: string, body: string) => {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
};
let answers: string;
let hangs: string;
let chatty: string;
let ticks: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-nvidia-smi-'));
  answers = await script('answers', 'echo "out $*"; echo "err" >&2; exit 3');
  // Ignores SIGTERM, as a hung nvidia-smi does; only SIGKILL ends it.
  hangs = await script('hangs', "trap '' TERM; echo started; while :; do sleep 0.05; done");
  chatty = await script('chatty', 'i=0; while [ $i -lt 2000 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done');
  ticks = await script('ticks', "trap '' TERM; printf '1\\n2\\n'; sleep 0.05; printf '3\\n4'; while :; do sleep 0.05; done");
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('runNvidiaSmi', () => {
  it('collects stdout and stderr apart and gives the exit code, whatever it is', async () => {
    const result = await runNvidiaSmi(answers, ['--query-gpu=index']);
    expect(result).toEqual({ code: 3, signal: null, stdout: 'out --query-gpu=index\n', stderr: 'err\n', failure: null });
    expect(nvidiaSmiProblem(result)).toBeNull();
  });

  it('a missing binary is a `missing` failure, never a rejection', async () => {
    const result = await runNvidiaSmi(join(dir, 'no-such-nvidia-smi'), ['topo', '-m']);
    expect(result).toMatchObject({ code: null, failure: { kind: 'missing', message: expect.stringContaining('ENOENT') } });
  });

  it('kills one that does not answer within the timeout with SIGKILL (it ignores SIGTERM)', async () => {
    const started = Date.now();
    const result = await runNvidiaSmi(hangs, [], { timeoutMs: 300 });
    expect(result).toMatchObject({ code: null, signal: 'SIGKILL', stdout: 'started\n', failure: { kind: 'timeout', message: 'timed out after 300 ms' } });
    expect(nvidiaSmiProblem(result)).toBe('timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills one that prints more than it may', async () => {
    const result = await runNvidiaSmi(chatty, [], { maxOutputBytes: 1000 });
    expect(result.failure).toEqual({ kind: 'overflow', message: 'printed more than 1000 bytes on stdout' });
    expect(result.stdout.length).toBeLessThanOrEqual(1000);
  });

  it('hands out the process, so a watchdog can kill it', async () => {
    const run = startNvidiaSmi(hangs, []);
    expect(run.child.pid).toBeGreaterThan(0);
    setTimeout(() => run.child.kill('SIGKILL'), 100);
    expect(await run.result).toMatchObject({ code: null, signal: 'SIGKILL', failure: null });
    expect(nvidiaSmiProblem(await run.result)).toBe('killed by SIGKILL');
  });
});

describe('streamNvidiaSmi and stopNvidiaSmi', () => {
  it('passes on whole lines only, and stops one that ignores SIGTERM', async () => {
    const lines: string[] = [];
    let closed = false;
    const child = streamNvidiaSmi(ticks, ['-lms', '50'], { onLine: (line) => lines.push(line), onClose: () => (closed = true) });
    await vi.waitFor(() => expect(lines).toEqual(['1', '2', '3']), { timeout: 5_000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the cut '4' stays cut
    await stopNvidiaSmi(child, 200);
    expect(lines).toEqual(['1', '2', '3']);
    expect(child.signalCode).toBe('SIGKILL');
    await vi.waitFor(() => expect(closed).toBe(true), { timeout: 5_000, interval: 20 });
  });
});
