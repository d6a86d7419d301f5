// /release_memory_occupation and /resume_memory_occupation as SGLang 0.5.3.post1 does them, checked from the
// outside: HTTP replies, logs, generations, process endings, and the GPU memory the fake nvidia-smi sees.
import { execFile } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, groupMembersTitled, httpStatus, makeModelDir, makeTempDir, readJson, removeTempDirs, startSim, waitForEmptyGroup, waitForStatus, type SimProcess } from './sim-harness.js';

const NVIDIA_SMI = fileURLToPath(new URL('../bin/nvidia-smi', import.meta.url));
const SAVER = ['--enable-memory-saver'];
const SAVER_BACKUP = ['--enable-memory-saver', '--enable-weights-cpu-backup'];
/** Simulated seconds: 50 ms of wall time at the tests' SGLANG_SIM_TIME_SCALE=0.01. */
const HEALTH_TIMEOUT_S = '5';

const running: SimProcess[] = [];

interface Server {
  sim: SimProcess;
  base: string;
  /** FAKE_NVIDIA_SMI_STATE of this server (its own folder, so servers do not see each other). */
  state: string;
}

async function launch(extraArgs: string[], env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const state = join(makeTempDir('sim-memory-'), 'nvidia-smi-state.json');
  const args = ['--model-path', makeModelDir({ shards: 2 }), '--port', String(port), '--disable-cuda-graph', ...extraArgs];
  // CUDA_VISIBLE_DEVICES pinned so that rank 0 is the fake's GPU 0 whatever the runner's environment says.
  const sim = startSim(args, { FAKE_NVIDIA_SMI_STATE: state, SGLANG_HEALTH_CHECK_TIMEOUT: HEALTH_TIMEOUT_S, CUDA_VISIBLE_DEVICES: '0,1,2,3,4,5', ...env });
  running.push(sim);
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/health`, 200);
  return { sim, base, state };
}

afterEach(() => {
  for (const sim of running.splice(0)) sim.killGroup();
});
afterAll(removeTempDirs);

function post(base: string, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });
}

/** POST that may never be answered: the status, 'timeout', or 'dropped' (connection closed by a dying server). */
async function postOutcome(base: string, path: string, body: unknown, timeoutMs: number): Promise<number | 'timeout' | 'dropped'> {
  try {
    const res = await post(base, path, body, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    return (error as Error).name === 'TimeoutError' ? 'timeout' : 'dropped';
  }
}

async function expectNullReply(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(await res.text()).toBe('null');
}

const release = (base: string, body: unknown = {}) => post(base, '/release_memory_occupation', body);
const resume = (base: string, body: unknown = {}) => post(base, '/resume_memory_occupation', body);

async function greedyGenerate(base: string): Promise<string> {
  const res = await post(base, '/generate', { text: 'The capital of France is', sampling_params: { temperature: 0, max_new_tokens: 12 } });
  expect(res.status).toBe(200);
  return (await readJson(res)).text;
}

async function greedyChat(base: string): Promise<string> {
  const res = await post(base, '/v1/chat/completions', { messages: [{ role: 'user', content: 'Name a river.' }], temperature: 0, max_tokens: 10 });
  expect(res.status).toBe(200);
  return (await readJson(res)).choices[0].message.content;
}

function nvidiaSmi(state: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(NVIDIA_SMI, args, { env: { ...process.env, FAKE_NVIDIA_SMI_STATE: state } }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** GPU 0's memory.used, MiB. */
async function gpu0UsedMiB(state: string): Promise<number> {
  const [line = ''] = (await nvidiaSmi(state, ['-i', '0', '--query-gpu=memory.used', '--format=csv,noheader,nounits'])).split('\n');
  return Number(line);
}

interface App {
  pid: number;
  name: string;
  mib: number;
  uuid: string;
}

async function computeApps(state: string): Promise<{ header: string; apps: App[] }> {
  const [header = '', ...lines] = (await nvidiaSmi(state, ['--query-compute-apps=pid,process_name,used_memory,gpu_uuid', '--format=csv'])).trimEnd().split('\n');
  const apps = lines.map((line) => {
    const [pid = '', name = '', mib = '', uuid = ''] = line.split(', ');
    expect(mib).toMatch(/^\d+ MiB$/);
    return { pid: Number(pid), name, mib: Number.parseInt(mib, 10), uuid };
  });
  return { header, apps };
}

/** Weights + KV cache of the rank, MiB, from the load log (`mem usage=`, `K size`, `V size`). */
function releasableMiB(sim: SimProcess): number {
  const weights = Number(/Load weight end\..* mem usage=([\d.]+) GB\./.exec(sim.stderr)?.[1]);
  const [, k = '', v = ''] = /K size: ([\d.]+) GB, V size: ([\d.]+) GB/.exec(sim.stderr) ?? [];
  return (weights + Number(k) + Number(v)) * 1024;
}

/** The scheduler process of a TP-1 server (the one that holds the GPU memory), once its title is set. */
async function schedulerPid(sim: SimProcess): Promise<number> {
  await expect.poll(() => groupMembersTitled(sim.pid, 'sglang::scheduler')).toHaveLength(1);
  return groupMembersTitled(sim.pid, 'sglang::scheduler')[0]!;
}

async function expectTreeKilled(sim: SimProcess): Promise<void> {
  expect(await sim.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await waitForEmptyGroup(sim.pid)).toEqual([]);
}

const GPU0_UUID = 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746';
const HEALTH_FAILED = /\] Health check failed\. Server couldn't get a response from detokenizer for last 5 seconds\. tic start time: \d\d:\d\d:\d\d\. last_heartbeat time: \d\d:\d\d:\d\d\n/;

describe('release + resume with --enable-memory-saver --enable-weights-cpu-backup', () => {
  it('answers 200 null, frees the weights and KV cache on the GPU, restores them, and generates the same text after', async () => {
    const { sim, base, state } = await launch(SAVER_BACKUP);
    const text = await greedyGenerate(base);
    expect(await greedyGenerate(base)).toBe(text); // greedy on a healthy server: the same text every time
    const chat = await greedyChat(base);
    const scheduler = await schedulerPid(sim);
    const before = await computeApps(state);
    expect(before.header).toBe('pid, process_name, used_gpu_memory [MiB], gpu_uuid');
    expect(before.apps).toEqual([{ pid: scheduler, name: 'sglang::scheduler', mib: expect.any(Number), uuid: GPU0_UUID }]);
    const heldMiB = before.apps[0]!.mib;
    expect(await gpu0UsedMiB(state)).toBe(2 + heldMiB); // the captured idle 2 MiB + the rank

    await expectNullReply(await release(base));
    expect(sim.stderr).toMatch(/\] Cache flushed successfully!\n/);
    await sim.waitFor(/"POST \/release_memory_occupation HTTP\/1\.1" 200 OK\n/, 'stdout');
    const released = await computeApps(state);
    expect(released.apps).toHaveLength(1);
    expect(Math.abs(heldMiB - released.apps[0]!.mib - releasableMiB(sim))).toBeLessThan(16);
    expect(released.apps[0]!.mib).toBeGreaterThan(0); // context, dist and workspaces stay
    expect(await gpu0UsedMiB(state)).toBe(2 + released.apps[0]!.mib);

    await expectNullReply(await resume(base, { tags: null }));
    expect((await computeApps(state)).apps[0]!.mib).toBe(heldMiB);
    expect(await gpu0UsedMiB(state)).toBe(2 + heldMiB);
    expect(await greedyGenerate(base)).toBe(text);
    expect(await greedyChat(base)).toBe(chat);
    expect(await httpStatus(`${base}/health`)).toBe(200);
  });

  it('with --tp 2 each rank is its own process on its own GPU (through CUDA_VISIBLE_DEVICES), and each logs the flush', async () => {
    const { sim, base, state } = await launch(['--tp', '2', ...SAVER_BACKUP], { CUDA_VISIBLE_DEVICES: '3,4' });
    // A child sets its title once Node has started in it, which can come after a fast (time-scaled) load.
    const ranks = () => [0, 1].map((rank) => groupMembersTitled(sim.pid, `sglang::scheduler_TP${rank}`)[0]);
    await expect.poll(() => ranks().every((pid) => pid !== undefined)).toBe(true);
    const before = (await computeApps(state)).apps;
    expect(before.map((app) => [app.pid, app.name, app.uuid])).toEqual([
      [ranks()[0], 'sglang::scheduler_TP0', 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e'],
      [ranks()[1], 'sglang::scheduler_TP1', 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff04'],
    ]);
    await expectNullReply(await release(base));
    expect(sim.stderr).toMatch(/ TP0\] Cache flushed successfully!\n/);
    expect(sim.stderr).toMatch(/ TP1\] Cache flushed successfully!\n/);
    const after = (await computeApps(state)).apps;
    expect(after.map((app) => app.pid)).toEqual(ranks());
    for (const [index, app] of after.entries()) expect(app.mib).toBeLessThan(before[index]!.mib / 2);
    const used = (await nvidiaSmi(state, ['--query-gpu=memory.used', '--format=csv,noheader,nounits'])).trimEnd().split('\n').map(Number);
    expect(used).toEqual([2, 2, 2, 2 + after[0]!.mib, 2 + after[1]!.mib, 2]);
  });

  it('releases and resumes tag by tag, in any order that matches', async () => {
    const { sim, base, state } = await launch(SAVER_BACKUP);
    const text = await greedyGenerate(base);
    const held = (await computeApps(state)).apps[0]!.mib;
    await expectNullReply(await release(base, { tags: ['kv_cache'] }));
    const kvOnly = (await computeApps(state)).apps[0]!.mib;
    await expectNullReply(await release(base, { tags: ['weights'], rid: 'r-1' }));
    const both = (await computeApps(state)).apps[0]!.mib;
    expect(held).toBeGreaterThan(kvOnly);
    expect(kvOnly).toBeGreaterThan(both);
    await expectNullReply(await resume(base, { tags: ['weights'] }));
    expect((await computeApps(state)).apps[0]!.mib).toBe(kvOnly); // weights back, KV cache still released
    await expectNullReply(await resume(base, { tags: ['kv_cache'] }));
    expect((await computeApps(state)).apps[0]!.mib).toBe(held);
    expect(await greedyGenerate(base)).toBe(text);
    expect(sim.stderr.match(/Cache flushed successfully!/g)).toHaveLength(1); // only the kv_cache release flushes
  });
});

describe('timing (simulated seconds × SGLANG_SIM_TIME_SCALE)', () => {
  it('copies the weights to host and back at 12 GiB/s per rank, on top of 0.2 s (release) and 0.3 s (resume)', async () => {
    const model = makeModelDir({ shards: 1 });
    truncateSync(join(model, 'model-00001-of-00001.safetensors'), 36 * 1024 ** 3); // sparse: 36 GiB of weights, no disk
    const port = await freePort();
    const state = join(makeTempDir('sim-memory-'), 'nvidia-smi-state.json');
    const scale = 0.05;
    const sim = startSim(['--model-path', model, '--port', String(port), '--disable-cuda-graph', ...SAVER_BACKUP], {
      FAKE_NVIDIA_SMI_STATE: state,
      CUDA_VISIBLE_DEVICES: '0',
      SGLANG_SIM_GPU_MEM_MIB: '81920',
      SGLANG_SIM_TIME_SCALE: String(scale),
    });
    running.push(sim);
    const base = `http://127.0.0.1:${port}`;
    await waitForStatus(`${base}/health`, 200, 30_000);
    expect(sim.stderr).toMatch(/Load weight end\..* mem usage=36\.00 GB\./);
    const timed = async (call: () => Promise<Response>) => {
      const started = performance.now();
      await expectNullReply(await call());
      return performance.now() - started;
    };
    const kvRelease = await timed(() => release(base, { tags: ['kv_cache'] }));
    const weightsRelease = await timed(() => release(base, { tags: ['weights'] }));
    const weightsResume = await timed(() => resume(base, { tags: ['weights'] }));
    expect(weightsRelease).toBeGreaterThanOrEqual((0.2 + 36 / 12) * scale * 1000 - 1);
    expect(weightsResume).toBeGreaterThanOrEqual((0.3 + 36 / 12) * scale * 1000 - 1);
    expect(kvRelease).toBeLessThan(weightsRelease);
  });
});

describe('release + resume without --enable-memory-saver', () => {
  it('answers 200 null and flushes the cache but frees nothing; /health is 503 while a tag is released; generation stays correct', async () => {
    const { sim, base, state } = await launch([]);
    const text = await greedyGenerate(base);
    const held = (await computeApps(state)).apps[0]!.mib;
    await expectNullReply(await release(base));
    expect(sim.stderr).toMatch(/\] Cache flushed successfully!\n/);
    expect((await computeApps(state)).apps[0]!.mib).toBe(held);
    // The scheduler drops health probes while offload_tags is non-empty: 503 after SGLANG_HEALTH_CHECK_TIMEOUT.
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(await health.text()).toBe('');
    expect(sim.stderr).toMatch(HEALTH_FAILED);
    // Without the memory saver nothing was unmapped: requests still run, and /health counts their tokens.
    expect(await greedyGenerate(base)).toBe(text);
    // A second release is harmless here (a set; pause is a no-op).
    await expectNullReply(await release(base, { tags: ['weights'] }));
    await expectNullReply(await resume(base));
    expect((await computeApps(state)).apps[0]!.mib).toBe(held);
    expect(await greedyGenerate(base)).toBe(text);
    expect(await httpStatus(`${base}/health`)).toBe(200);
  });

  it('/health turns 200 when a control reply arrives while it waits', async () => {
    const { base } = await launch([], { SGLANG_HEALTH_CHECK_TIMEOUT: '100' });
    await expectNullReply(await release(base, { tags: ['cuda_graph'] })); // any string goes into offload_tags
    let settled = false;
    const health = fetch(`${base}/health`).then((res) => {
      settled = true;
      return res.status;
    });
    // Each reply refreshes the tokenizer's last_receive_tstamp; the health check only waits for one after its start.
    while (!settled) await expectNullReply(await release(base, { tags: ['foo'] }));
    expect(await health).toBe(200);
  });
});

describe('weights released without --enable-weights-cpu-backup', () => {
  it('generates garbage after resume (deterministic, the same token over and over) on /generate and the OpenAI routes', async () => {
    const { base, state } = await launch(SAVER);
    const text = await greedyGenerate(base);
    const held = (await computeApps(state)).apps[0]!.mib;
    await expectNullReply(await release(base));
    await expectNullReply(await resume(base));
    expect((await computeApps(state)).apps[0]!.mib).toBe(held);
    const garbage = await greedyGenerate(base);
    expect(garbage).not.toBe(text);
    expect(garbage).toBe('!'.repeat(12));
    expect(await greedyGenerate(base)).toBe(garbage);
    expect(await greedyChat(base)).toBe('!'.repeat(10));
    const completion = await readJson(await post(base, '/v1/completions', { prompt: 'Once upon a time', max_tokens: 5 }));
    expect(completion.choices[0].text).toBe('!!!!!');
    expect(completion.choices[0].finish_reason).toBe('length');
  });

  it('SGLANG_SIM_FAIL=lose-cpu-backup: the same garbage though the flag was given (a test reaches that state with a launch that always passes it)', async () => {
    const { base } = await launch(SAVER_BACKUP, { SGLANG_SIM_FAIL: 'lose-cpu-backup' });
    const text = await greedyGenerate(base);
    await expectNullReply(await release(base));
    await expectNullReply(await resume(base));
    expect(await greedyGenerate(base)).toBe('!'.repeat(12));
    expect(text).not.toBe('!'.repeat(12));
  });
});

describe('ways it dies', () => {
  it('resume of a tag that was never released: KeyError in the scheduler, SIGQUIT, the whole server killed (no memory saver needed)', async () => {
    const { sim, base } = await launch([]);
    expect(await postOutcome(base, '/resume_memory_occupation', { tags: ['weights'] }, 10_000)).toBe('dropped');
    await expectTreeKilled(sim);
    expect(sim.stderr).toMatch(
      /\] Scheduler hit an exception: Traceback \(most recent call last\):\n[\s\S]*scheduler_update_weights_mixin\.py", line 111, in resume_memory_occupation\n {4}self\.offload_tags\.remove\(tag\)\nKeyError: 'weights'\n/,
    );
    expect(sim.stderr).toContain('] SIGQUIT received. signum=None, frame=None. It usually means one child failed.\n');
    expect(sim.stdout).not.toContain('/resume_memory_occupation');
  });

  it('a default (null) resume after releasing only kv_cache raises KeyError for weights', async () => {
    const { sim, base } = await launch(SAVER_BACKUP);
    await expectNullReply(await release(base, { tags: ['kv_cache'] }));
    expect(await postOutcome(base, '/resume_memory_occupation', { tags: null }, 10_000)).toBe('dropped');
    await expectTreeKilled(sim);
    expect(sim.stderr).toMatch(/\nKeyError: 'weights'\n/);
  });

  it('a second release with the memory saver: tms error on stderr, the scheduler is gone, every later call hangs, /health 503, SIGTERM forces the exit', async () => {
    const { sim, base, state } = await launch(SAVER_BACKUP);
    await expectNullReply(await release(base));
    expect(await postOutcome(base, '/release_memory_occupation', {}, 1500)).toBe('timeout');
    await sim.waitFor(/\n\[torch_memory_saver\.cpp\] Cannot pause allocation that is not active\. tag=kv_cache ptr=\d+ file=csrc\/core\.cpp func=pause line=228\n/);
    expect(sim.child.exitCode).toBeNull();
    // The scheduler process is gone, and the driver freed its memory with it.
    expect(await waitForEmptyGroupMembers(sim, 'sglang::scheduler')).toEqual([]);
    expect((await computeApps(state)).apps).toEqual([]);
    expect(await gpu0UsedMiB(state)).toBe(2);
    // The HTTP side is up: tokenizer-only routes answer, anything that needs the scheduler waits forever.
    expect(await httpStatus(`${base}/get_model_info`)).toBe(200);
    expect(await postOutcome(base, '/generate', { text: 'hi', sampling_params: { max_new_tokens: 2 } }, 1000)).toBe('timeout');
    expect(await postOutcome(base, '/resume_memory_occupation', {}, 1000)).toBe('timeout');
    expect(await httpStatus(`${base}/health`)).toBe(503);
    expect(sim.stderr).toMatch(HEALTH_FAILED);
    expect(sim.stdout).not.toMatch(/"POST \/(release|resume)_memory_occupation HTTP\/1\.1" (?!200)/);
    // A failed health check marks the server UnHealthy: SIGTERM no longer waits for the hung requests.
    process.kill(sim.pid, 'SIGTERM');
    await expectTreeKilled(sim);
    expect(sim.stderr).toContain('] Signal SIGTERM received while health check failed. Force exiting.\n');
  });

  it('oom-resume: the CUresult line on stderr, the scheduler is gone, the resume never answers, /health 503', async () => {
    const { sim, base, state } = await launch(SAVER_BACKUP, { SGLANG_SIM_FAIL: 'oom-resume' });
    await expectNullReply(await release(base));
    expect(await postOutcome(base, '/resume_memory_occupation', {}, 1500)).toBe('timeout');
    expect(sim.stderr).toContain('\n[torch_memory_saver.cpp] CUresult error: 2 (out of memory)  file=csrc/utils.h func=cu_mem_create line=194\n');
    expect(sim.child.exitCode).toBeNull();
    expect((await computeApps(state)).apps).toEqual([]);
    expect(await httpStatus(`${base}/health`)).toBe(503);
    expect(await postOutcome(base, '/v1/completions', { prompt: 'x', max_tokens: 2 }, 1000)).toBe('timeout');
  });

  it('a release while a request runs (memory saver on): 200 null and the pending-requests warning, then the next step crashes the server', async () => {
    const { sim, base } = await launch(SAVER_BACKUP, { SGLANG_SIM_TOKENS_PER_S: '50' });
    const res = await post(base, '/generate', { text: 'keep going', stream: true, sampling_params: { max_new_tokens: 1000, ignore_eos: true } });
    const reader = res.body!.getReader();
    await reader.read();
    await expectNullReply(await release(base));
    expect(sim.stderr).toMatch(/\] Cache not flushed because there are pending requests\. #queue-req: 0, #running-req: 1\n/);
    let rest = '';
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    } catch {
      // connection reset by the dying server
    }
    expect(rest).not.toContain('[DONE]');
    await expectTreeKilled(sim);
    expect(sim.stderr).toMatch(/\] Scheduler hit an exception: Traceback[\s\S]*torch\.AcceleratorError: CUDA error: an illegal memory access was encountered\n/);
    expect(sim.stderr).toContain('] SIGQUIT received. signum=None, frame=None. It usually means one child failed.\n');
  });

  it('a generate request sent while released (memory saver on) crashes the server the same way', async () => {
    const { sim, base } = await launch(SAVER);
    await expectNullReply(await release(base, { tags: ['weights'] }));
    expect(await postOutcome(base, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }, 10_000)).toBe('dropped');
    await expectTreeKilled(sim);
    expect(sim.stderr).toContain('torch.AcceleratorError: CUDA error: an illegal memory access was encountered\n');
  });
});

/** GET or POST with an arbitrary body and content type (fetch refuses a GET body). */
function rawRequest(base: string, method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; text: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request(`${base}${path}`, { method, headers: { ...headers, ...length } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('request validation and API key', () => {
  it("answers SGLang's 400 for bad bodies, 401 without the key, accepts GET, and takes any string as a tag", async () => {
    const { base } = await launch(['--api-key', 'sk-mem']);
    const auth = { authorization: 'Bearer sk-mem' };
    const json = { ...auth, 'content-type': 'application/json' };
    const call = (body: string | undefined, headers: Record<string, string> = json, method = 'POST') => rawRequest(base, method, '/release_memory_occupation', body, headers);
    const message = async (body: string | undefined, headers?: Record<string, string>) => {
      const res = await call(body, headers);
      expect(res.status).toBe(400);
      const parsed = JSON.parse(res.text);
      expect(Object.keys(parsed)).toEqual(['object', 'message', 'type', 'param', 'code']);
      expect(parsed).toMatchObject({ object: 'error', type: 'Bad Request', param: null, code: 400 });
      return parsed.message as string;
    };
    expect(await message(undefined)).toBe("[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]");
    expect(await message('null')).toBe("[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]");
    expect(await message('{"tags": [')).toContain("'type': 'json_invalid'");
    expect(await message('{}', { ...auth, 'content-type': 'application/x-www-form-urlencoded' })).toBe(
      "[{'type': 'dataclass_type', 'loc': ('body',), 'msg': 'Input should be a dictionary or an instance of ReleaseMemoryOccupationReqInput', 'input': b'{}', 'ctx': {'class_name': 'ReleaseMemoryOccupationReqInput'}}]",
    );
    expect(await message('["weights"]')).toContain("'type': 'dataclass_type', 'loc': ('body',)");
    expect(await message('{"tags": "weights"}')).toBe("[{'type': 'list_type', 'loc': ('body', 'tags'), 'msg': 'Input should be a valid list', 'input': 'weights'}]");
    expect(await message('{"tags": ["weights", 1]}')).toBe("[{'type': 'string_type', 'loc': ('body', 'tags', 1), 'msg': 'Input should be a valid string', 'input': 1}]");
    const resumeMessage = await rawRequest(base, 'POST', '/resume_memory_occupation', '[]', json);
    expect(JSON.parse(resumeMessage.text).message).toContain('an instance of ResumeMemoryOccupationReqInput');

    expect(await call('{}', { 'content-type': 'application/json' })).toMatchObject({ status: 401, text: '{"error":"Unauthorized"}' });
    expect((await call('{}', json, 'PUT')).status).toBe(405);

    // GET works like POST; an unknown tag is stored and released again without complaint.
    expect(await call('{"tags": ["foo"], "extra": 1}', json, 'GET')).toEqual({ status: 200, text: 'null', type: 'application/json' });
    expect(await rawRequest(base, 'GET', '/resume_memory_occupation', '{"tags": ["foo"]}', json)).toEqual({ status: 200, text: 'null', type: 'application/json' });
  });
});

/** Waits until no live member of the group has `title` (the scheduler process exited). */
async function waitForEmptyGroupMembers(sim: SimProcess, title: string): Promise<number[]> {
  await expect.poll(() => groupMembersTitled(sim.pid, title)).toEqual([]);
  return groupMembersTitled(sim.pid, title);
}
