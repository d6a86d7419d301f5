// The info-route names of each release (SGLANG_SIM_INFO_ROUTES): 0.5.3.post1 has only /get_*, 0.5.6 the
// new names plus the /get_* aliases that warn and return the same JSON. See README.md, "Info route names".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeModelDir, removeTempDirs, startSim, waitForStatus, type SimProcess } from './sim-harness.js';

interface Running {
  sim: SimProcess;
  base: string;
}

const sims: Record<'0.5.3.post1' | '0.5.6', Running | undefined> = { '0.5.3.post1': undefined, '0.5.6': undefined };

async function launch(release: '0.5.3.post1' | '0.5.6'): Promise<Running> {
  const port = await freePort();
  const env: Record<string, string> = release === '0.5.6' ? { SGLANG_SIM_INFO_ROUTES: '0.5.6' } : {};
  const sim = startSim(['--model-path', makeModelDir(), '--port', String(port), '--served-model-name', 'tiny', '--disable-cuda-graph'], env);
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/health`, 200);
  return { sim, base };
}

function running(release: '0.5.3.post1' | '0.5.6'): Running {
  const entry = sims[release];
  if (!entry) throw new Error(`${release} simulator not started`);
  return entry;
}

/** The paths and statuses of the access lines printed since `from` (stdout offset), once `count` of them are there. */
async function accessLines(sim: SimProcess, from: number, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = [...sim.stdout.slice(from).matchAll(/"GET (\S+) HTTP\/1\.1" (\d+)/g)].map((match) => `${match[1]} ${match[2]}`);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  [sims['0.5.3.post1'], sims['0.5.6']] = await Promise.all([launch('0.5.3.post1'), launch('0.5.6')]);
});

afterAll(() => {
  sims['0.5.3.post1']?.sim.killGroup();
  sims['0.5.6']?.sim.killGroup();
  removeTempDirs();
});

describe.each([
  // release, path, status, deprecation warning naming the new path
  ['0.5.3.post1', '/get_model_info', 200, null],
  ['0.5.3.post1', '/get_server_info', 200, null],
  ['0.5.3.post1', '/get_weight_version', 200, null],
  ['0.5.3.post1', '/model_info', 404, null],
  ['0.5.3.post1', '/server_info', 404, null],
  ['0.5.3.post1', '/weight_version', 404, null],
  ['0.5.6', '/model_info', 200, null],
  ['0.5.6', '/server_info', 200, null],
  ['0.5.6', '/weight_version', 200, null],
  ['0.5.6', '/get_model_info', 200, '/model_info'],
  ['0.5.6', '/get_server_info', 200, '/server_info'],
  ['0.5.6', '/get_weight_version', 200, '/weight_version'],
] as const)('SGLang %s: GET %s', (release, path, status, warnsFor) => {
  it(`answers ${status}${warnsFor ? ' after a deprecation warning' : ''}, and the access line shows ${path}`, async () => {
    const { sim, base } = running(release);
    const stdoutFrom = sim.stdout.length;
    const stderrFrom = sim.stderr.length;
    const res = await fetch(`${base}${path}`);
    const body = await res.text();
    expect(res.status).toBe(status);
    if (status === 404) expect(body).toBe('{"detail":"Not Found"}');
    expect(await accessLines(sim, stdoutFrom, 1)).toEqual([`${path} ${status}`]);
    const warning = `Endpoint '${path}' is deprecated and will be removed in a future version. Please use '${warnsFor}' instead.`;
    if (warnsFor) await sim.waitFor(new RegExp(`\\] ${warning.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`), 'stderr', 5000);
    else expect(sim.stderr.slice(stderrFrom)).not.toContain('is deprecated');
  });
});

describe('0.5.6: the deprecated aliases return the same JSON as the new names', () => {
  it.each([
    ['/model_info', '/get_model_info'],
    ['/server_info', '/get_server_info'],
    ['/weight_version', '/get_weight_version'],
  ])('%s = %s', async (current, legacy) => {
    const { base } = running('0.5.6');
    const [a, b] = await Promise.all([fetch(`${base}${current}`).then((r) => r.json()), fetch(`${base}${legacy}`).then((r) => r.json())]);
    expect(a).toEqual(b);
  });

  it('/server_info is the 0.5.3.post1 /get_server_info layout (only the names change)', async () => {
    const [newer, older] = await Promise.all([
      fetch(`${running('0.5.6').base}/server_info`).then((r) => r.json() as Promise<Record<string, unknown>>),
      fetch(`${running('0.5.3.post1').base}/get_server_info`).then((r) => r.json() as Promise<Record<string, unknown>>),
    ]);
    expect(Object.keys(newer)).toEqual(Object.keys(older));
    expect(newer).toMatchObject({ served_model_name: 'tiny', version: '0.5.3.post1', status: 'ready' });
  });
});

describe("the warmup polls the release's model-info path", () => {
  it.each([
    ['0.5.3.post1', '/get_model_info'],
    ['0.5.6', '/model_info'],
  ] as const)('%s: GET %s until 200, then POST /generate, no deprecation warning', (release, path) => {
    const { sim } = running(release);
    const lines = (sim.stdout.match(/"(GET|POST) (\S+) HTTP\/1\.1" (\d+)/g) ?? []).filter((line) => !line.includes(' /health '));
    // Everything before the warmup's POST is its poll (more than one when a scaled 5 s poll timeout expired on a busy machine).
    const post = lines.indexOf('"POST /generate HTTP/1.1" 200');
    expect(post).toBeGreaterThan(0);
    expect(new Set(lines.slice(0, post))).toEqual(new Set([`"GET ${path} HTTP/1.1" 200`]));
    const ready = sim.stderr.indexOf('The server is fired up and ready to roll!');
    expect(ready).toBeGreaterThan(0);
    expect(sim.stderr.slice(0, ready)).not.toContain('is deprecated');
  });

  it('an unknown SGLANG_SIM_INFO_ROUTES value is reported and the default kept', async () => {
    const port = await freePort();
    const sim = startSim(['--model-path', makeModelDir(), '--port', String(port), '--skip-server-warmup'], { SGLANG_SIM_INFO_ROUTES: '0.9' });
    try {
      await sim.waitFor(/sglang-sim: ignoring unknown SGLANG_SIM_INFO_ROUTES '0\.9'/);
      await waitForStatus(`http://127.0.0.1:${port}/get_model_info`, 200);
      expect((await fetch(`http://127.0.0.1:${port}/model_info`)).status).toBe(404);
    } finally {
      sim.killGroup();
    }
  });
});
