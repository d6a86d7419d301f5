// How the simulator ends: each failure mode, natural failures, port conflicts and SIGTERM.
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, httpStatus, makeModelDir, readJson, removeTempDirs, startSim, waitForEmptyGroup, waitForStatus, type ModelDirOptions, type SimProcess } from './sim-harness.js';

const running: SimProcess[] = [];
const holders: Server[] = [];

async function launch(extraArgs: string[], env: Record<string, string> = {}, model: ModelDirOptions = {}): Promise<{ sim: SimProcess; port: number }> {
  const port = await freePort();
  const sim = startSim(['--model-path', makeModelDir(model), '--port', String(port), ...extraArgs], env);
  running.push(sim);
  return { sim, port };
}

/** The process ended by SIGKILL of its own tree, and nothing of its group is left. */
async function expectTreeKilled(sim: SimProcess): Promise<void> {
  expect(await sim.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await waitForEmptyGroup(sim.pid)).toEqual([]);
}

afterEach(() => {
  for (const sim of running.splice(0)) sim.killGroup();
  for (const server of holders.splice(0)) server.close();
});
afterAll(removeTempDirs);

describe('load failures (SIGQUIT from a scheduler → SIGKILL of the tree)', () => {
  it('oom-weights: OOM traceback part way through the shards', async () => {
    const { sim } = await launch(['--tp', '2'], { SGLANG_SIM_FAIL: 'oom-weights' }, { shards: 4 });
    await expectTreeKilled(sim);
    const err = sim.stderr;
    expect(err).toContain('| 2/4 [');
    expect(err).not.toContain('| 3/4 [');
    expect(err).toMatch(/\[[\d-]+ [\d:]+ TP0\] Scheduler hit an exception: Traceback \(most recent call last\):\n {2}File "/);
    expect(err).toMatch(/\ntorch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate [\d.]+ MiB\. GPU 0 has a total capacity of 23\.56 GiB/);
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/^\[[\d-]+ [\d:]+\] Received sigquit from a child process\. It usually means the child failed\.$/);
    expect(err).not.toContain('Load weight end');
  });

  it('oom-graphs: capture fails with the Possible solutions hint', async () => {
    const { sim } = await launch([], { SGLANG_SIM_FAIL: 'oom-graphs' });
    await expectTreeKilled(sim);
    expect(sim.stderr).toContain('\nDuring handling of the above exception, another exception occurred:\n');
    expect(sim.stderr).toMatch(
      /\nException: Capture cuda graph failed: CUDA out of memory\. Tried to allocate .*\nPossible solutions:\n1\. set --mem-fraction-static to a smaller value \(e\.g\., 0\.8 or 0\.7\)\n/,
    );
    expect(sim.stderr).toContain('4. disable CUDA graph by --disable-cuda-graph. (Not recommended. Huge performance loss)\n');
    expect(sim.stderr).toContain('Received sigquit from a child process. It usually means the child failed.');
  });

  it('not-enough-memory: RuntimeError with the current --mem-fraction-static', async () => {
    const { sim } = await launch(['--mem-fraction-static', '0.5'], { SGLANG_SIM_FAIL: 'not-enough-memory' });
    await expectTreeKilled(sim);
    expect(sim.stderr).toContain('\nRuntimeError: Not enough memory. Please try to increase --mem-fraction-static. Current value: self.server_args.mem_fraction_static=0.5\n');
  });

  it('TP not dividing the attention heads: bare AssertionError during the weight phase', async () => {
    const { sim } = await launch(['--tp', '8'], {}, { heads: 28, kvHeads: 4 });
    await expectTreeKilled(sim);
    const err = sim.stderr;
    expect(err.indexOf('Load weight begin.')).toBeLessThan(err.indexOf('Scheduler hit an exception'));
    expect(err).toContain('\n    assert self.total_num_heads % tp_size == 0\nAssertionError\n');
    expect(err).toContain(' TP7] Scheduler hit an exception: Traceback');
    expect(err).not.toContain('Loading safetensors checkpoint shards');
  });

  it('TP larger than the visible GPUs: Context line and invalid device ordinal', async () => {
    const { sim } = await launch(['--tp', '4'], { CUDA_VISIBLE_DEVICES: '0,1' });
    await expectTreeKilled(sim);
    expect(sim.stderr).toMatch(/ TP2\] Context: self\.device='cuda' self\.gpu_id=2 os\.environ\.get\('CUDA_VISIBLE_DEVICES'\)='0,1' self\.tp_rank=2 self\.tp_size=4\n/);
    expect(sim.stderr).toContain('torch.AcceleratorError: CUDA error: invalid device ordinal\n');
  });
});

describe('HTTP-phase failures', () => {
  it('warmup-fail: the warmup /generate gets a 500, then Initialization failed and SIGKILL', async () => {
    const { sim } = await launch(['--disable-cuda-graph'], { SGLANG_SIM_FAIL: 'warmup-fail' });
    await expectTreeKilled(sim);
    expect(sim.stdout).toMatch(/"POST \/generate HTTP\/1\.1" 500 Internal Server Error\n/);
    expect(sim.stderr).toMatch(/\] Initialization failed\. warmup error: Traceback \(most recent call last\):\n[\s\S]*AssertionError: <Response \[500\]>\n/);
    expect(sim.stderr).not.toContain('ready to roll');
  });

  it('crash-mid-stream: the first stream is cut without [DONE], SIGQUIT line, tree SIGKILLed', async () => {
    const { sim, port } = await launch(['--disable-cuda-graph'], { SGLANG_SIM_FAIL: 'crash-mid-stream', SGLANG_SIM_TOKENS_PER_S: '50' });
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 100 }),
    });
    const text = await res.text().catch(() => 'connection reset');
    expect(text).not.toContain('[DONE]');
    await expectTreeKilled(sim);
    expect(sim.stderr).toMatch(/\] Scheduler hit an exception: Traceback[\s\S]*torch\.AcceleratorError: CUDA error: an illegal memory access was encountered\n/);
    expect(sim.stderr).toContain('] SIGQUIT received. signum=None, frame=None. It usually means one child failed.\n');
  });

  it('port already in use: found only after the full load, then warmup against the squatter fails', async () => {
    const port = await freePort();
    const squatter = createServer((_req, res) => res.writeHead(404).end('nope'));
    holders.push(squatter);
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const sim = startSim(['--model-path', makeModelDir(), '--port', String(port)]);
    running.push(sim);
    await expectTreeKilled(sim);
    const err = sim.stderr;
    expect(err.indexOf('max_total_num_tokens=')).toBeLessThan(err.indexOf('ERROR:'));
    expect(err).toContain(`] ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', ${port}): address already in use\n`);
    expect(err).toMatch(/INFO: {5}Waiting for application shutdown\.\n.*INFO: {5}Application shutdown complete\.\n/);
    expect(err).not.toContain('Uvicorn running on');
    expect(err).toContain("AssertionError: res=<Response [404]>, res.text='nope'\n");
  });
});

describe('signals', () => {
  it('SIGTERM during loading kills the process by SIGTERM and the children follow', async () => {
    const { sim } = await launch(['--tp', '2'], { SGLANG_SIM_TIME_SCALE: '0.3' });
    await sim.waitFor(/server_args=ServerArgs\(/);
    process.kill(sim.pid, 'SIGTERM');
    expect(await sim.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await waitForEmptyGroup(sim.pid)).toEqual([]);
  });

  it('client disconnect aborts; SIGTERM after ready drains the in-flight request, 503s /health, then SIGKILLs', async () => {
    const { sim, port } = await launch(['--disable-cuda-graph'], { SGLANG_SIM_TOKENS_PER_S: '50' });
    const base = `http://127.0.0.1:${port}`;
    await waitForStatus(`${base}/health`, 200);
    const chat = (maxTokens: number, signal?: AbortSignal) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        signal,
        body: JSON.stringify({ messages: [{ role: 'user', content: 'drain me' }], stream: true, max_tokens: maxTokens, ignore_eos: true }),
      });
    const abort = new AbortController();
    const dropped = await chat(1000, abort.signal);
    await dropped.body?.getReader().read();
    abort.abort();
    await expect.poll(async () => (await readJson(await fetch(`${base}/get_load`)))[0].num_reqs).toBe(0);

    const res = await chat(40);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const [event = ''] = first.slice('data: '.length).split('\n');
    const rid = JSON.parse(event).id as string;
    process.kill(sim.pid, 'SIGTERM');
    await sim.waitFor(/SIGTERM received\. signum=None frame=None\. Draining requests and shutting down\.\.\.\n/);
    expect(await httpStatus(`${base}/health`)).toBe(503);
    await sim.waitFor(new RegExp(`Gracefully exiting\\.\\.\\. Remaining number of requests 1\\. Remaining requests remaining_rids=\\['${rid}'\\]\\.\\n`));
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
    await expectTreeKilled(sim);
    expect(sim.stderr.trimEnd().split('\n').at(-1)).toMatch(/\] Gracefully exiting\.\.\. Remaining number of requests 0\. Remaining requests remaining_rids=\[\]\.$/);
    expect(sim.stderr).toContain('Health check request received during shutdown. Returning 503.');
  });
});
