// `npm run bench:switch` (and the second half of `npm run bench`): a cold switch back vs a warm one, on
// the demo host in the SGLang simulator (realistic phase timings, scaled by SGLANG_SIM_TIME_SCALE).
//
// For each pair (the model to come back to, and the model that takes its GPUs meanwhile):
//   cold: the model with switchMode cold — load it, switch to the other, switch back (a full load);
//   warm: the same with switchMode warm — the switch away puts it to sleep, the switch back wakes it.
// Each is timed from the switch-back request to ready, which includes stopping the other model; and
// the model's own cold load (first load) for the issue's target: a warm switch back < 10 % of it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogSchema, type CatalogInput } from '../shared/catalog-schema.js';
import { parseDocument } from 'yaml';
import { createEngine } from '../electron/engine/engine.js';
import type { Engine } from '../electron/engine/engine-api.js';
import { writeDemoHost } from '../electron/engine/catalog/write-demo-host.js';
import { freePort } from '../test/support/free-port.js';

/** BENCH_SWITCH_TIME_SCALE overrides every pair's time scale (e.g. 0.05 for a quick look). */
const SCALE_OVERRIDE = process.env.BENCH_SWITCH_TIME_SCALE === undefined ? undefined : Number(process.env.BENCH_SWITCH_TIME_SCALE);
const RESULTS = fileURLToPath(new URL('./results/switch-latest', import.meta.url));

/** Model to come back to, the model that takes its GPUs; the evictor's scripted OOM is removed. */
const PAIRS = [
  { back: 'qwen2.5-3b-instruct', other: 'qwen2.5-7b-instruct', otherWarm: false, timeScale: 1, note: 'the demo as shipped (3B warm, 7B cold, both on GPU 0), real-time phase durations' },
  {
    back: 'qwen2.5-3b-instruct',
    other: 'qwen2.5-7b-instruct',
    otherWarm: true,
    timeScale: 1,
    note: 'both warm: the switch back puts the 7B to sleep instead of waiting out its SIGTERM shutdown (SGLang polls for it every 5 s)',
  },
  {
    back: 'mistral-large-2411-awq',
    other: 'kat-dev-awq-8bit',
    otherWarm: false,
    timeScale: 0.1,
    note: 'Mistral tp=4 with torch.compile, evicted by KAT-Dev (its scripted OOM removed); phase durations ×0.1 (its real-time cold load is ~6.5 min), so the real-time parts of a wake weigh ten times more here than on a real host',
  },
] as const;

interface Timing {
  firstLoadMs: number;
  switchAwayMs: number;
  switchBackMs: number;
  /** warm only: how the switch away and back went, from the swap history. */
  sleepMs?: number;
  wakeMs?: number;
  wakeOutcome?: string;
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function run(pair: (typeof PAIRS)[number], mode: 'cold' | 'warm'): Promise<Timing> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-switch-bench-'));
  process.env.FAKE_NVIDIA_SMI_STATE = join(dir, 'fake-nvidia-smi.json');
  let engine: Engine | undefined;
  try {
    const configPath = await writeDemoHost({ dir, routerPort: 1, backendPort: await freePort(), timeScale: SCALE_OVERRIDE ?? pair.timeScale });
    const doc = parseDocument(await readFile(configPath, 'utf8'));
    const input = doc.toJS() as CatalogInput;
    input.models = input.models!.map((m) => {
      const { switchMode: _demoMode, ...rest } = m;
      const model = { ...rest, ...(m.id === pair.back ? { switchMode: mode } : {}), ...(m.id === pair.other && pair.otherWarm ? { switchMode: 'warm' as const } : {}) };
      if (m.id === pair.other) delete model.env;
      return model;
    });
    // A 6×3090 workstation's RAM (the demo host is simulated; the warm Mistral's weight copy is ~62 GiB).
    engine = await createEngine({
      catalog: catalogSchema.parse(input),
      configPath,
      stateDir: join(dir, 'state'),
      readHostMemory: async () => ({ memAvailableMiB: 200 * 1024, memTotalMiB: 256 * 1024 }),
    });
    const e = engine;
    const firstLoadMs = await timed(() => e.ensureReady(pair.back, 'manual'));
    const switchAwayMs = await timed(() => e.ensureReady(pair.other, 'manual'));
    const switchBackMs = await timed(() => e.ensureReady(pair.back, 'manual'));
    const swaps = e.swapHistory({});
    const sleep = swaps.find((r) => r.action === 'sleep' && r.modelId === pair.back);
    const wake = swaps.find((r) => r.action === 'wake' && r.modelId === pair.back);
    if (mode === 'warm' && (!sleep || !wake)) throw new Error(`${pair.back} did not sleep and wake: ${swaps.map((r) => `${r.action} ${r.modelId}`).join(', ')}`);
    return {
      firstLoadMs,
      switchAwayMs,
      switchBackMs,
      ...(sleep ? { sleepMs: sleep.durationMs } : {}),
      ...(wake ? { wakeMs: wake.durationMs, wakeOutcome: wake.outcome } : {}),
    };
  } finally {
    await engine?.close();
    delete process.env.FAKE_NVIDIA_SMI_STATE;
    await rm(dir, { recursive: true, force: true });
  }
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

async function main(): Promise<void> {
  const rows: { pair: (typeof PAIRS)[number]; cold: Timing; warm: Timing }[] = [];
  for (const pair of PAIRS) {
    console.log(`[switch-bench] ${pair.back} ⇄ ${pair.other}${pair.otherWarm ? ' (warm)' : ''} (time scale ${SCALE_OVERRIDE ?? pair.timeScale})…`);
    const cold = await run(pair, 'cold');
    const warm = await run(pair, 'warm');
    rows.push({ pair, cold, warm });
    console.log(`[switch-bench]   cold switch back ${s(cold.switchBackMs)}, warm ${s(warm.switchBackMs)} (first load ${s(warm.firstLoadMs)})`);
  }
  const lines = [
    '# Switch benchmark — latest run',
    '',
    `node: ${process.version} · date: ${new Date().toISOString().slice(0, 10)} · time scale per row (every simulated duration × it; process start, HTTP and the check generation are real time)`,
    '',
    'Written by `npm run bench:switch` (also run by `npm run bench`); see bench/README.md. Wall times on the demo host in the',
    'SGLang simulator. "switch back" = from the request for the model until it is ready again, including stopping the',
    "model that took its GPUs. Target (issue 17): warm switch back < 10 % of the model's cold load.",
    '',
    '| model to come back to | other model (mode) | time scale | first (cold) load | cold switch back | warm: put to sleep | warm: wake | warm switch back | wake / cold load | warm back / cold load |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ({ pair, cold, warm }) =>
        `| ${pair.back} | ${pair.other} (${pair.otherWarm ? 'warm' : 'cold'}) | ${SCALE_OVERRIDE ?? pair.timeScale} | ${s(warm.firstLoadMs)} | ${s(cold.switchBackMs)} | ${s(warm.sleepMs)} | ${s(warm.wakeMs)} (${warm.wakeOutcome ?? '—'}) | ${s(warm.switchBackMs)} | ${(((warm.wakeMs ?? NaN) / warm.firstLoadMs) * 100).toFixed(1)} % | ${((warm.switchBackMs / warm.firstLoadMs) * 100).toFixed(1)} % |`,
    ),
    '',
    ...rows.map(
      ({ pair, cold, warm }) =>
        `- ${pair.back}: ${pair.note}. ${warm.switchBackMs < 0.1 * warm.firstLoadMs ? 'PASS' : 'MISS'} warm switch back < 10 % of its cold load (${s(warm.switchBackMs)} vs ${s(warm.firstLoadMs)}); the cold switch back took ${s(cold.switchBackMs)}.`,
    ),
    '',
  ];
  const text = lines.join('\n');
  console.log(`\n${text}`);
  await writeFile(`${RESULTS}.md`, text);
  await writeFile(`${RESULTS}.json`, `${JSON.stringify({ scaleOverride: SCALE_OVERRIDE ?? null, rows }, null, 2)}\n`);
  console.log(`written: ${RESULTS}.md, ${RESULTS}.json`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
