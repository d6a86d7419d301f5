import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeModelDir, removeTempDirs, startSim, waitForStatus, type SimProcess } from '../../../test/fakes/sglang-sim/sim-harness.js';
import { SglangInfoClient, type SglangInfoRoute } from './sglang-info.js';

type Release = '0.5.3.post1' | '0.5.6';
const sims = new Map<Release, { sim: SimProcess; port: number }>();

async function launch(release: Release): Promise<void> {
  const port = await freePort();
  const env: Record<string, string> = release === '0.5.6' ? { SGLANG_SIM_INFO_ROUTES: '0.5.6' } : {};
  const sim = startSim(['--model-path', makeModelDir(), '--port', String(port), '--served-model-name', 'tiny', '--disable-cuda-graph'], env);
  sims.set(release, { sim, port });
  await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
}

function simOf(release: Release): { sim: SimProcess; port: number } {
  const entry = sims.get(release);
  if (!entry) throw new Error(`${release} simulator not started`);
  return entry;
}

/** `PATH STATUS` of each GET access line the simulator printed since stdout offset `from`, once `count` are there. */
async function accessLines(sim: SimProcess, from: number, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = [...sim.stdout.slice(from).matchAll(/"GET (\S+) HTTP\/1\.1" (\d+)/g)].map((match) => `${match[1]} ${match[2]}`);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(() => Promise.all([launch('0.5.3.post1'), launch('0.5.6')]));

afterAll(() => {
  for (const { sim } of sims.values()) sim.killGroup();
  removeTempDirs();
});

describe('SglangInfoClient against the simulator', () => {
  it.each([
    // release, route, what the server sees over two calls, naming learnt
    ['0.5.6', '/server_info', ['/server_info 200', '/server_info 200'], 'current'],
    ['0.5.6', '/model_info', ['/model_info 200', '/model_info 200'], 'current'],
    ['0.5.3.post1', '/server_info', ['/server_info 404', '/get_server_info 200', '/get_server_info 200'], 'legacy'],
    ['0.5.3.post1', '/model_info', ['/model_info 404', '/get_model_info 200', '/get_model_info 200'], 'legacy'],
  ] as const)('SGLang %s, %s: two calls send %j', async (release, route, expected, naming) => {
    const { sim, port } = simOf(release);
    const client = new SglangInfoClient(5000);
    const from = sim.stdout.length;
    const stderrFrom = sim.stderr.length;
    const first = await client.get('127.0.0.1', port, route);
    const second = await client.get('127.0.0.1', port, route);
    expect(await accessLines(sim, from, expected.length)).toEqual(expected);
    const path = naming === 'current' ? route : route.replace('/', '/get_');
    for (const answer of [first, second]) expect(answer).toMatchObject({ path, statusCode: 200 });
    expect(JSON.parse(second.body)).toEqual(JSON.parse(first.body));
    if (route === '/model_info') expect(JSON.parse(first.body)).toMatchObject({ is_generation: true });
    else expect(JSON.parse(first.body)).toMatchObject({ served_model_name: 'tiny', version: '0.5.3.post1' });
    expect(client.namingOf('127.0.0.1', port)).toBe(naming);
    // A current server is never asked under its deprecated name, so it logs no deprecation warning.
    expect(sim.stderr.slice(stderrFrom)).not.toContain('is deprecated');
  });

  it('remembers per server: one client, both releases side by side', async () => {
    const client = new SglangInfoClient(5000);
    const older = simOf('0.5.3.post1');
    const newer = simOf('0.5.6');
    expect((await client.get('127.0.0.1', older.port, '/server_info')).path).toBe('/get_server_info');
    expect((await client.get('127.0.0.1', newer.port, '/server_info')).path).toBe('/server_info');
    expect((await client.get('127.0.0.1', older.port, '/model_info')).path).toBe('/get_model_info');
    expect(client.namingOf('127.0.0.1', older.port)).toBe('legacy');
    expect(client.namingOf('127.0.0.1', newer.port)).toBe('current');
  });
});

describe('SglangInfoClient against a scripted server', () => {
  let server: Server | undefined;
  const seen: string[] = [];
  /** path → status it answers now (anything else 404, FastAPI's body). */
  let routes: Record<string, number> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const status = routes[req.url ?? ''] ?? 404;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 404 ? '{"detail":"Not Found"}' : JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => {
    seen.length = 0;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  function port(): number {
    return (server!.address() as { port: number }).port;
  }

  it.each([
    // served routes, route asked, requests sent over two calls, final answer, naming learnt
    [{ '/server_info': 200, '/get_server_info': 200 }, '/server_info', ['/server_info', '/server_info'], ['/server_info', 200], 'current'],
    [{ '/get_server_info': 200 }, '/server_info', ['/server_info', '/get_server_info', '/get_server_info'], ['/get_server_info', 200], 'legacy'],
    // neither name: the old name's 404, as before the new names existed; nothing learnt, so both are tried again
    [{}, '/server_info', ['/server_info', '/get_server_info', '/server_info', '/get_server_info'], ['/get_server_info', 404], undefined],
    // no fallback on anything but 404 (a 503 is the server's answer, not a missing route)
    [{ '/model_info': 503, '/get_model_info': 200 }, '/model_info', ['/model_info', '/model_info'], ['/model_info', 503], 'current'],
  ] as const)('serving %j, %s: sends %j and answers %j', async (served, route, requests, [path, statusCode], naming) => {
    routes = { ...served };
    const client = new SglangInfoClient(5000);
    await client.get('127.0.0.1', port(), route as SglangInfoRoute);
    const answer = await client.get('127.0.0.1', port(), route as SglangInfoRoute);
    expect(seen).toEqual(requests);
    expect(answer).toMatchObject({ path, statusCode });
    if (statusCode === 404) expect(answer.body).toBe('{"detail":"Not Found"}');
    expect(client.namingOf('127.0.0.1', port())).toBe(naming);
  });

  it('a remembered naming that starts to 404 (another release relaunched on the port) switches once, both ways', async () => {
    const client = new SglangInfoClient(5000);
    routes = { '/get_server_info': 200 };
    await client.get('127.0.0.1', port(), '/server_info');
    expect(client.namingOf('127.0.0.1', port())).toBe('legacy');
    routes = { '/server_info': 200 }; // a release that dropped the aliases
    seen.length = 0;
    expect((await client.get('127.0.0.1', port(), '/server_info')).path).toBe('/server_info');
    expect((await client.get('127.0.0.1', port(), '/server_info')).path).toBe('/server_info');
    expect(seen).toEqual(['/get_server_info', '/server_info', '/server_info']);
    routes = { '/get_server_info': 200 };
    seen.length = 0;
    expect((await client.get('127.0.0.1', port(), '/server_info')).path).toBe('/get_server_info');
    expect(seen).toEqual(['/server_info', '/get_server_info']);
    client.forget('127.0.0.1', port());
    expect(client.namingOf('127.0.0.1', port())).toBeUndefined();
  });

  it('connection refused propagates (no fallback, nothing learnt)', async () => {
    const client = new SglangInfoClient(1000);
    const closed = await freePort();
    await expect(client.get('127.0.0.1', closed, '/server_info')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(client.namingOf('127.0.0.1', closed)).toBeUndefined();
  });
});
