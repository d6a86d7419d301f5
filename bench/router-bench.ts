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
  let nginxLine = 'nginx: not installed';
  for (const speed of SPEEDS) {
    const result = await benchSpeed(speed);
    cells.push(...result.cells);
    nginxLine = result.nginx;
  }
  const checks = checkTargets(cells);
  console.log(`\n${formatTable(cells)}\n\nTargets:\n${formatChecks(checks)}`);
  const config = {
    model: MODEL_ID,
    concurrency: CONCURRENCY,
    speeds: SPEEDS,
    minRounds: MIN_ROUNDS,
    minStreams: MIN_STREAMS,
    simArgs: process.env.BENCH_SIM_ARGS ?? '',
    routerNodeFlags: process.env.BENCH_ROUTER_NODE_FLAGS ?? '',
  };
  await writeResults(RESULTS, cells, checks, config, { nginx: nginxLine });
  console.log(`\nwritten: ${RESULTS}.md, ${RESULTS}.json`);
}

async function benchSpeed(speed: (typeof SPEEDS)[number]): Promise<{ cells: CellResult[]; nginx: string }> {
  log(`starting switchboard serve + simulator (${speed.label})…`);
  const host = await startBenchHost(speed.tokensPerS);
  running.add(host);
  const pools = { router: createPool(host.routerUrl), direct: createPool(host.directUrl), floor: createPool(host.floorUrl), nginx: host.nginx ? createPool(host.nginx.url) : undefined };
  log(`router ${host.routerUrl} (pid ${host.routerPid}), simulator ${host.directUrl} (pid ${host.simPid}), ${host.nginx ? `${host.nginx.version} ${host.nginx.url}` : host.nginxSkipped}`);
  try {
    const cells: CellResult[] = [];
    for (const concurrency of CONCURRENCY) {
      const rounds = Math.max(MIN_ROUNDS, Math.ceil(MIN_STREAMS / concurrency));
      const spec = { model: MODEL_ID, maxTokens: speed.maxTokens };
      const targets = {
        direct: { pool: pools.direct },
        router: { pool: pools.router, pgid: host.routerPid },
        nginx: pools.nginx && host.nginx ? { pool: pools.nginx, pgid: host.nginx.pgid } : undefined,
        floor: { pool: pools.floor, pgid: host.floorPid },
        routerPid: host.routerPid,
      };
      const cell = await measureCell(targets, { speed: speed.label, tokensPerS: speed.tokensPerS, spec, concurrency, rounds });
      const nginxRate = cell.nginx ? ` / nginx ${cell.nginx.chunksPerS.toFixed(0)}` : '';
      log(
        `${speed.label} C=${concurrency}: direct ${cell.direct.chunksPerS.toFixed(0)} / router ${cell.router.chunksPerS.toFixed(0)}${nginxRate} chunks/s, errors ${cell.direct.errors}/${cell.router.errors}`,
      );
      cells.push(cell);
    }
    return { cells, nginx: host.nginx ? `${host.nginx.version} (worker_processes 1, proxy_buffering off)` : (host.nginxSkipped ?? 'none') };
  } finally {
    await Promise.all(Object.values(pools).map((pool) => pool?.close()));
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
