// The simulator as a real process: CLI errors, startup log order, readiness over HTTP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, httpStatus, makeModelDir, makeTempDir, removeTempDirs, startSim, waitForEmptyGroup, waitForStatus, type SimProcess } from './sim-harness.js';

const running: SimProcess[] = [];

function launch(args: string[], env: Record<string, string> = {}): SimProcess {
  const sim = startSim(args, env);
  running.push(sim);
  return sim;
}

afterEach(() => {
  for (const sim of running.splice(0)) sim.killGroup();
});
afterAll(removeTempDirs);

/** Index of each pattern in `text`, asserting all are present. */
function positions(text: string, patterns: readonly (string | RegExp)[]): number[] {
  return patterns.map((pattern) => {
    const index = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern);
    expect(index, `missing ${pattern}`).toBeGreaterThanOrEqual(0);
    return index;
  });
}

describe('sglang-sim CLI', () => {
  it('exits 2 with usage and the argparse error for an ambiguous prefix', async () => {
    const sim = launch(['--model-path', '/nowhere', '--pp', '2']);
    expect(await sim.exited).toEqual({ code: 2, signal: null });
    expect(sim.stderr.startsWith('usage: launch_server.py [-h] --model-path MODEL_PATH\n')).toBe(true);
    expect(sim.stderr.endsWith('launch_server.py: error: ambiguous option: --pp could match --pp-size, --pp-max-micro-batch-size\n')).toBe(true);
  });

  it('exits 2 when --model-path is missing', async () => {
    const sim = launch(['--tp', '2']);
    expect((await sim.exited).code).toBe(2);
    expect(sim.stderr).toContain('launch_server.py: error: the following arguments are required: --model-path/--model\n');
  });

  it('exits 1 with an OSError traceback when the model folder does not exist', async () => {
    const sim = launch(['--model-path', '/definitely/not/here']);
    expect((await sim.exited).code).toBe(1);
    expect(sim.stderr).toMatch(/^Traceback \(most recent call last\):\n/);
    expect(sim.stderr).toContain("OSError: /definitely/not/here is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'");
    expect(sim.stderr).not.toContain('server_args=');
  });
});

describe('sglang-sim startup', () => {
  it('logs the phases in SGLang order, with TP prefixes, \\r-separated bars and access lines on stdout', async () => {
    const port = await freePort();
    const launchLog = join(makeTempDir('sim-launch-'), 'launches.jsonl');
    const model = makeModelDir({ shards: 3, quantMethod: 'awq', extra: { torch_dtype: 'float16' } });
    const args = ['--model-path', model, '--port', String(port), '--tp', '2', '--enable-torch-compile', '--torch-compile-max-bs', '2', '--served-model-name', 'tiny'];
    const sim = launch(args, { SGLANG_SIM_LAUNCH_LOG: launchLog });
    await sim.waitFor(/Load weight begin\./);
    expect(await httpStatus(`http://127.0.0.1:${port}/health`)).toBe(0);
    await sim.waitFor(/The server is fired up and ready to roll!/);
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
    const err = sim.stderr;
    const order = positions(err, [
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] server_args=ServerArgs\(model_path='[^']+', tokenizer_path=/m,
      /^\[[\d-]+ [\d:]+\] The model is convertible to awq_marlin during runtime\. Using awq_marlin kernel\.$/m,
      /^\[[\d-]+ [\d:]+ TP1\] The model is convertible to awq_marlin/m,
      '[Gloo] Rank 1 is connected to 1 peer ranks. Expected number of connected peer ranks is : 1\n',
      /^\[[\d-]+ [\d:]+ TP0\] Init torch distributed ends\. mem usage=\d+\.\d\d GB$/m,
      /^\[[\d-]+ [\d:]+ TP0\] Load weight begin\. avail mem=\d+\.\d\d GB$/m,
      '\rLoading safetensors checkpoint shards:   0% Completed | 0/3 [00:00<?, ?it/s]\n',
      '\rLoading safetensors checkpoint shards: 100% Completed | 3/3 [',
      /\] Load weight end\. type=LlamaForCausalLM, dtype=torch\.float16, avail mem=[\d.]+ GB, mem usage=[\d.]+ GB\.\n/,
      '] Using KV cache dtype: torch.float16\n',
      /TP1\] KV Cache is allocated\. #tokens: \d+, K size: [\d.]+ GB, V size: [\d.]+ GB\n/,
      /TP0\] Memory pool end\. avail mem=[\d.]+ GB\n/,
      /TP0\] Capture cuda graph begin\. This can take up to several minutes\. avail mem=[\d.]+ GB\n/,
      'TP0] Capture cuda graph bs [1, 2, 4, 8, 12, 16]\n',
      '\rCapturing batches (bs=16 avail_mem=',
      /\rCapturing batches \(bs=1 avail_mem=[\d.]+ GB\): 100%\|██████████\| 6\/6 \[[\d:]+<00:00, +[\d.]+s\/it\]\n/,
      /TP1\] Registering \d+ cuda graph addresses\n/,
      /TP0\] Capture cuda graph end\. Time elapsed: [\d.]+ s\. mem usage=[\d.]+ GB\. avail mem=[\d.]+ GB\.\n/,
      /TP0\] max_total_num_tokens=\d+, chunked_prefill_size=2048, max_prefill_tokens=16384, max_running_requests=\d+, context_len=8192, available_gpu_mem=[\d.]+ GB\n/,
      `] INFO:     Started server process [${sim.pid}]\n`,
      '] INFO:     Waiting for application startup.\n',
      '] INFO:     Application startup complete.\n',
      `] INFO:     Uvicorn running on http://127.0.0.1:${port} (Press CTRL+C to quit)\n`,
      'TP0] Prefill batch. #new-seq: 1, #new-token: 7, #cached-token: 0, token usage: 0.00, #running-req: 0, #queue-req: 0, \n',
      '] The server is fired up and ready to roll!\n',
    ]);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The capture bar refreshes only with \r; newlines come from log records and the closed bar.
    const captureBar = err.slice(err.indexOf('\r  0%|'), err.indexOf('Registering'));
    expect(captureBar.split('\n')).toHaveLength(2);
    expect(captureBar.split('\r').length).toBeGreaterThan(12);
    // torch.compile'd sizes (bs ≤ 2) are much slower than plain captures.
    expect(Number(err.match(/Time elapsed: ([\d.]+) s\./)?.[1])).toBeGreaterThan(60);
    // uvicorn access lines go to stdout, in warmup order.
    expect(sim.stdout).toMatch(
      /^\[[\d-]+ [\d:]+\] INFO:     127\.0\.0\.1:\d+ - "GET \/get_model_info HTTP\/1\.1" 200 OK\n\[[\d-]+ [\d:]+\] INFO:     127\.0\.0\.1:\d+ - "POST \/generate HTTP\/1\.1" 200 OK\n/,
    );
    expect(err).not.toContain('HTTP/1.1"');
    const launches = readFileSync(launchLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(launches).toEqual([{ pid: sim.pid, argv: args, atMs: expect.any(Number) }]);
  });

  it('spawns sglang::scheduler_TPn and sglang::detokenizer children in its process group', async () => {
    const port = await freePort();
    const sim = launch(['--model-path', makeModelDir(), '--port', String(port), '--tp', '2', '--skip-server-warmup', '--disable-cuda-graph']);
    await sim.waitFor(/Uvicorn running on/);
    const { execFileSync } = await import('node:child_process');
    const titles = execFileSync('ps', ['-o', 'args=', '-g', String(sim.pid)], { encoding: 'utf8' });
    expect(titles).toContain('sglang::scheduler_TP0');
    expect(titles).toContain('sglang::scheduler_TP1');
    expect(titles).toContain('sglang::detokenizer');
    expect(sim.stderr).not.toContain('Capture cuda graph');
    // --skip-server-warmup: ready at once, before the port is even bound.
    expect(sim.stderr.indexOf('ready to roll')).toBeLessThan(sim.stderr.indexOf('Uvicorn running on'));
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
  });

  it('answers 503 on /health (but 200 on /get_model_info) until the warmup completes (never-ready)', async () => {
    const port = await freePort();
    const sim = launch(['--model-path', makeModelDir(), '--port', String(port), '--disable-cuda-graph'], { SGLANG_SIM_FAIL: 'never-ready' });
    await sim.waitFor(/Uvicorn running on/);
    await sim.waitFor(/"GET \/get_model_info HTTP\/1\.1" 200 OK/, 'stdout');
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('');
    expect(await httpStatus(`http://127.0.0.1:${port}/get_model_info`)).toBe(200);
    expect(await httpStatus(`http://127.0.0.1:${port}/health_generate`)).toBe(503);
    expect(sim.stderr).not.toContain('ready to roll');
  });

  it('hides info lines with --log-level warning', async () => {
    const port = await freePort();
    const sim = launch(['--model-path', makeModelDir(), '--port', String(port), '--log-level', 'warning', '--disable-cuda-graph']);
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
    expect(sim.stderr).not.toContain('server_args=');
    expect(sim.stderr).not.toContain('ready to roll');
    expect(sim.stdout).toBe('');
    sim.killGroup();
    await sim.exited;
    expect(await waitForEmptyGroup(sim.pid)).toEqual([]);
  });
});
