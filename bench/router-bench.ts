// `npm run bench`: router vs direct connection to the same simulated SGLang backend, side by side.
import { fileURLToPath } from 'node:url';
import { startBenchHost, MODEL_ID, type BenchHost } from './lib/bench-host.js';
import { createPool } from './lib/load-generator.js';
import { measureCell, type CellResult } from './lib/measure-cell.js';
import { checkTargets, formatChecks, formatTable, writeResults } from './lib/report.js';

const SPEEDS = [
  { label: '50 tok/s', tokensPerS: 50, maxTokens: 64 },
  { label: 'full speed', tokensPerS: 0, maxTokens: 256 },
];
const CONCURRENCY = [1, 16, 64, 256];
/** Each side runs at least this many rounds (C streams each) and this many streams per cell. */
const MIN_ROUNDS = Number(process.env.BENCH_MIN_ROUNDS ?? 4);
const MIN_STREAMS = Number(process.env.BENCH_MIN_STREAMS ?? 16);
const RESULTS = fileURLToPath(new URL('./results/router-latest', import.meta.url));

const running = new Set<BenchHost>();

async function main(): Promise<void> {
  onSignals();
  const cells: CellResult[] = [];
  for (const speed of SPEEDS) cells.push(...(await benchSpeed(speed)));
  const checks = checkTargets(cells);
  console.log(`\n${formatTable(cells)}\n\nTargets:\n${formatChecks(checks)}`);
  const config = {
    model: MODEL_ID, concurrency: CONCURRENCY, speeds: SPEEDS, minRounds: MIN_ROUNDS, minStreams: MIN_STREAMS,
    simArgs: process.env.BENCH_SIM_ARGS ?? '', routerNodeFlags: process.env.BENCH_ROUTER_NODE_FLAGS ?? '',
  };
  await writeResults(RESULTS, cells, checks, config);
  console.log(`\nwritten: ${RESULTS}.md, ${RESULTS}.json`);
}

async function benchSpeed(speed: (typeof SPEEDS)[number]): Promise<CellResult[]> {
  log(`starting switchboard serve + simulator (${speed.label})…`);
  const host = await startBenchHost(speed.tokensPerS);
  running.add(host);
  const router = createPool(host.routerUrl);
  const direct = createPool(host.directUrl);
  const floor = createPool(host.floorUrl);
  log(`router ${host.routerUrl} (pid ${host.routerPid}), simulator ${host.directUrl} (pid ${host.simPid})`);
  try {
    const cells: CellResult[] = [];
    for (const concurrency of CONCURRENCY) {
      const rounds = Math.max(MIN_ROUNDS, Math.ceil(MIN_STREAMS / concurrency));
      const spec = { model: MODEL_ID, maxTokens: speed.maxTokens };
      const cell = await measureCell({ router, direct, floor, routerPid: host.routerPid }, { speed: speed.label, tokensPerS: speed.tokensPerS, spec, concurrency, rounds });
      log(`${speed.label} C=${concurrency}: ${cell.direct.chunksPerS.toFixed(0)} vs ${cell.router.chunksPerS.toFixed(0)} chunks/s, errors ${cell.direct.errors}/${cell.router.errors}`);
      cells.push(cell);
    }
    return cells;
  } finally {
    await Promise.all([router.close(), direct.close(), floor.close()]);
    await host.stop();
    running.delete(host);
  }
}

function onSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the router and the simulator…`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((host) => host.stop()));
}

function log(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

main().catch(async (err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  await stopAll();
  process.exit(1);
});
