// `npm run soak -- --minutes N`: a long-running fault soak of the whole engine (`switchboard serve`
// over the SGLang simulator). Clients rotate between three models that share their GPUs, so the
// router keeps switching; every few minutes the running backend is SIGKILLed from outside. At the
// start and the end it reads the engine's RSS and open fds from /proc, and after a graceful stop it
// looks for processes that outlived the engine. Not part of `npm test`.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listGroupMembers, waitGroupGone } from '../electron/system/process-group.js';
import type { EngineState } from '../shared/engine-state.js';
import { runClient, type RequestResult } from './lib/soak-clients.js';
import {
  EngineProcess,
  SOAK_MODELS,
  describeExit,
  findLeftovers,
  freePort,
  killGroupQuietly,
  openFds,
  procInfo,
  readLaunchLog,
  sleep,
  vmRssMiB,
  writeSoakHost,
  type Leftover,
  type SoakHostFiles,
} from './lib/soak-host.js';
import { formatReport, nearAKill, summarizeRequests, type KillRecord, type Measure, type Sample, type SoakCheck, type SoakReport } from './lib/soak-report.js';

const USAGE = `usage: npm run soak -- [--minutes N] [--kill-every-s S] [--streams K] [options]

  --minutes N             how long the clients run (default 10)
  --kill-every-s S        SIGKILL the running backend's process group every S seconds (default 150; 0 = never)
  --streams K             concurrent clients (default 3)
  --switch-every-s T      the clients' main model moves to the next one every T s (default 20);
                          1 request in 20 asks for another model anyway (queued switches, FIFO)
  --time-scale X          SGLANG_SIM_TIME_SCALE (default 0.1: a switch takes ≈5 s)
  --gpu-history-s S       the catalog's gpu.historyS (default 3600): GPU samples the engine keeps; a short
                          one fills that ring early, so RSS growth after it is not the ring filling up
  --tokens-per-s T        SGLANG_SIM_TOKENS_PER_S (default 50)
  --request-timeout-s T   per request (default 120)
  --sample-every-s T      RSS/fd sampling interval (default 5)
  --max-fd-growth N       fail when the engine has more than N extra fds at the end (default 20)
  --out PREFIX            result files PREFIX.json and PREFIX.txt (default bench/results/soak-latest)
  --keep-tmp              keep the temp dir (catalog, state, serve.log) even when the soak passed`;

const DEFAULT_OUT = fileURLToPath(new URL('./results/soak-latest', import.meta.url));
const MODEL_IDS = SOAK_MODELS.map((m) => m.id);

interface Options {
  minutes: number;
  killEveryS: number;
  streams: number;
  switchEveryS: number;
  timeScale: number;
  gpuHistoryS: number | undefined;
  tokensPerS: number;
  requestTimeoutS: number;
  sampleEveryS: number;
  maxFdGrowth: number;
  out: string;
  keepTmp: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      'kill-every-s': { type: 'string' },
      streams: { type: 'string' },
      'switch-every-s': { type: 'string' },
      'time-scale': { type: 'string' },
      'gpu-history-s': { type: 'string' },
      'tokens-per-s': { type: 'string' },
      'request-timeout-s': { type: 'string' },
      'sample-every-s': { type: 'string' },
      'max-fd-growth': { type: 'string' },
      out: { type: 'string' },
      'keep-tmp': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return null;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!(Number.isFinite(value) && value >= min && value <= max)) throw new Error(`--${name} must be a number in [${min}, ${max}], got "${raw}"`);
    return value;
  };
  return {
    minutes: num('minutes', values.minutes, 10, 0.1, 24 * 60),
    killEveryS: num('kill-every-s', values['kill-every-s'], 150, 0, 86_400),
    streams: Math.round(num('streams', values.streams, 3, 1, 64)),
    switchEveryS: num('switch-every-s', values['switch-every-s'], 20, 1, 86_400),
    timeScale: num('time-scale', values['time-scale'], 0.1, 0.001, 10),
    gpuHistoryS: values['gpu-history-s'] === undefined ? undefined : num('gpu-history-s', values['gpu-history-s'], 3600, 10, 86_400),
    tokensPerS: num('tokens-per-s', values['tokens-per-s'], 50, 0, 10_000),
    requestTimeoutS: num('request-timeout-s', values['request-timeout-s'], 120, 1, 3600),
    sampleEveryS: num('sample-every-s', values['sample-every-s'], 5, 0.5, 600),
    maxFdGrowth: Math.round(num('max-fd-growth', values['max-fd-growth'], 20, 0, 100_000)),
    out: values.out ?? DEFAULT_OUT,
    keepTmp: values['keep-tmp'] ?? false,
  };
}

// --- what must die with this process, whatever happens ---

let engineRef: EngineProcess | null = null;
let launchLogPath: string | null = null;
let tmpDirRef: string | null = null;

/** Synchronous: SIGKILL the engine's group, every launched simulator's group, and anything naming the temp dir. */
function killEverything(): void {
  if (engineRef && listGroupMembers(engineRef.pid).length > 0) killGroupQuietly(engineRef.pid);
  if (launchLogPath) {
    for (const launch of readLaunchLog(launchLogPath)) {
      for (const pid of listGroupMembers(launch.pid)) killPidQuietly(pid);
    }
  }
  if (tmpDirRef && engineRef) for (const l of findLeftovers(engineRef.pid, launchLogPath ? readLaunchLog(launchLogPath) : [], tmpDirRef)) killPidQuietly(l.pid);
}

function killPidQuietly(pid: number): void {
  try {
    if (pid > 1 && pid !== process.pid) process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

process.on('exit', killEverything);

const harnessErrors: string[] = [];
process.on('unhandledRejection', (reason) => {
  const text = `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`;
  harnessErrors.push(text.slice(0, 500));
  log(text);
});

/** Ends the load phase early (first Ctrl-C); a second one kills everything and exits. */
const earlyEnd = new AbortController();
function onSignals(): void {
  let count = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      count++;
      if (count === 1) {
        log(`${signal}: ending the soak early (stopping the clients and the engine, then the report); again to kill everything at once`);
        earlyEnd.abort();
        return;
      }
      log(`${signal} again: killing everything`);
      killEverything();
      process.exit(130);
    });
  }
}

// --- the soak ---

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  onSignals();
  const opts = options;
  const tmp = await mkdtemp(join(tmpdir(), 'switchboard-soak-'));
  tmpDirRef = tmp;
  const routerPort = await freePort();
  let backendPort = await freePort();
  while (backendPort === routerPort) backendPort = await freePort();
  const files = await writeSoakHost({
    dir: tmp,
    routerPort,
    backendPort,
    timeScale: opts.timeScale,
    tokensPerS: opts.tokensPerS,
    ...(opts.gpuHistoryS !== undefined ? { gpuHistoryS: opts.gpuHistoryS } : {}),
  });
  launchLogPath = files.launchLogPath;
  const env = { ...process.env, FAKE_NVIDIA_SMI_STATE: join(tmp, 'fake-nvidia-smi-state.json'), FAKE_NVIDIA_SMI_PRIVILEGED: '1' };
  log(`simulated host in ${tmp}; starting switchboard serve on 127.0.0.1:${routerPort} (backend port ${backendPort})`);
  const engine = EngineProcess.spawn(files, routerPort, env);
  engineRef = engine;
  const t0 = Date.now();
  const atS = () => (Date.now() - t0) / 1000;
  const measures: Measure[] = [];
  const measure = (label: string) => {
    const m = { label, atS: atS(), rssMiB: vmRssMiB(engine.pid), fds: openFds(engine.pid) };
    measures.push(m);
    log(`${label}: engine RSS ${m.rssMiB?.toFixed(1) ?? '—'} MiB, ${m.fds ?? '—'} open fds`);
    return m;
  };

  let report: SoakReport | null = null;
  try {
    await engine.waitHealthy(30_000);
    measure('boot');
    log(`warm-up: loading each model once (${MODEL_IDS.join(', ')})…`);
    for (const model of MODEL_IDS) await completeOnce(engine.url, model, 120_000);
    await waitQuiet(engine, 30_000);
    await sleep(6_000, earlyEnd.signal); // idle keep-alive sockets close (client 4 s, server 5 s)
    measure('after warm-up');
    report = await soak(engine, files, opts, measure, t0);
  } catch (err) {
    harnessErrors.push(`soak aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`.slice(0, 1500));
    log(`soak aborted: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Whatever happened: stop the engine, then look for leftovers.
  if (!report) report = emptyReport(opts, engine, t0);
  report.measures = measures;
  await finish(report, engine, files, tmp, opts);
  const failed = report.checks.filter((c) => c.gating && !c.pass);
  const text = formatReport(report);
  console.log(`\n${text}`);
  try {
    await mkdir(dirname(opts.out), { recursive: true });
    await writeFile(`${opts.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(`${opts.out}.txt`, `${text}\n`);
    console.log(`\nwritten: ${opts.out}.json, ${opts.out}.txt`);
  } catch (err) {
    console.error(`could not write the results: ${(err as Error).message}`);
  }
  const keep = opts.keepTmp || failed.length > 0;
  if (keep) console.log(`kept: ${tmp} (serve.log, state/, sim-launches.jsonl)`);
  else await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  console.log(failed.length === 0 ? '\nsoak: PASS' : `\nsoak: FAIL (${failed.map((c) => c.check).join('; ')})`);
  return failed.length === 0 ? 0 : 1;
}

async function soak(engine: EngineProcess, files: SoakHostFiles, opts: Options, measure: (label: string) => Measure, t0: number): Promise<SoakReport> {
  const startedAt = new Date().toISOString();
  const loadStart = Date.now();
  const deadline = loadStart + opts.minutes * 60_000;
  let stopping = false;
  const stopCtl = new AbortController(); // the load phase is over: the killer and the sampler stop waiting
  const hardStop = new AbortController(); // aborts the clients' requests still in flight
  const endOfLoad = sleep(deadline - Date.now(), earlyEnd.signal);
  const results: RequestResult[] = [];
  const kills: KillRecord[] = [];
  let killsSkipped = 0;
  let inFlight = 0;
  const samples: Sample[] = [];
  let engineDiedEarly: string | null = null;
  void engine.exited.then((exit) => {
    if (!stopping) {
      engineDiedEarly = describeExit(exit);
      log(`the engine exited during the soak (${engineDiedEarly})`);
      earlyEnd.abort();
    }
  });

  const sampler = (async () => {
    while (!stopCtl.signal.aborted) {
      samples.push({ tS: (Date.now() - t0) / 1000, rssMiB: vmRssMiB(engine.pid), fds: openFds(engine.pid), groupMembers: listGroupMembers(engine.pid).length, clientInFlight: inFlight });
      await sleep(opts.sampleEveryS * 1000, stopCtl.signal);
    }
  })();

  let okCount = 0;
  let lastProgress = Date.now();
  const clients = Array.from({ length: opts.streams }, (_, k) =>
    runClient(k, {
      baseURL: engine.url,
      pickModel: (worker, i) => {
        const phase = Math.floor((Date.now() - loadStart) / (opts.switchEveryS * 1000));
        // Mostly the model of the moment (many requests per load); now and then another one.
        const offset = (i * 7 + worker * 3) % 20 === 19 ? 1 + ((i + worker) % (MODEL_IDS.length - 1)) : 0;
        return MODEL_IDS[(phase + offset) % MODEL_IDS.length]!;
      },
      stopping: () => stopping,
      hardStop: hardStop.signal,
      requestTimeoutMs: opts.requestTimeoutS * 1000,
      onStart: () => inFlight++,
      onResult: (r) => {
        inFlight--;
        results.push(r);
        if (r.ok) okCount++;
        else if (!r.cancelled) log(`request failed: ${r.model}${r.stream ? ' stream' : ''} after ${r.endMs - r.startMs} ms: ${r.cause} — ${r.detail ?? ''}`);
        if (Date.now() - lastProgress > 15_000) {
          lastProgress = Date.now();
          const last = samples.at(-1);
          log(
            `t=${((Date.now() - loadStart) / 1000).toFixed(0)} s: ${okCount} ok, ${results.filter((x) => !x.ok && !x.cancelled).length} failed, ${kills.length} kills; RSS ${last?.rssMiB?.toFixed(1) ?? '—'} MiB, ${last?.fds ?? '—'} fds`,
          );
        }
      },
    }).catch((err: unknown) => {
      harnessErrors.push(`client ${k} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`.slice(0, 800));
    }),
  );

  const killer = (async () => {
    if (opts.killEveryS <= 0) return;
    let next = loadStart + opts.killEveryS * 1000;
    // No kill in the last 2 s of the load phase: it would race the end (and the report's end measure).
    while (!stopCtl.signal.aborted && next < deadline - 2_000) {
      await sleep(next - Date.now(), stopCtl.signal);
      if (stopCtl.signal.aborted) break;
      try {
        // Alternately a backend that is serving and one that is loading (requests waiting for it).
        const record = await killOnce(engine, files, kills.length % 2 === 0 ? 'serving' : 'loading', () => inFlight, stopCtl.signal);
        if (record) kills.push(record);
        else if (!stopCtl.signal.aborted) killsSkipped++;
      } catch (err) {
        harnessErrors.push(`kill failed: ${(err as Error).message}`);
      }
      next += opts.killEveryS * 1000;
      if (next < Date.now()) next = Date.now() + opts.killEveryS * 1000;
    }
  })();

  log(`load: ${opts.streams} clients for ${opts.minutes} min, a kill every ${opts.killEveryS} s`);
  await endOfLoad;
  stopping = true;
  stopCtl.abort();
  log('load phase over: waiting for the requests in flight…');
  // Ended by Ctrl-C: give the requests in flight 10 s, not the whole request timeout.
  const settled = await withTimeout(Promise.all(clients), earlyEnd.signal.aborted ? 10_000 : opts.requestTimeoutS * 1000 + 10_000);
  if (!settled) {
    log('requests still in flight after the request timeout: aborting them');
    hardStop.abort();
    await withTimeout(Promise.all(clients), 10_000);
  }
  await withTimeout(killer, 30_000);
  await withTimeout(sampler, 5_000);
  const durationS = (Date.now() - loadStart) / 1000;

  // End measure in the same condition as the baseline: no requests, one model ready, idle sockets closed.
  if (!engine.exit) {
    try {
      await waitQuiet(engine, 30_000);
      const state = await engine.state();
      const model = state.slots.find((s) => s.status === 'ready')?.modelId ?? MODEL_IDS[0]!;
      await completeOnce(engine.url, model, 120_000, false);
      await waitQuiet(engine, 30_000);
      await sleep(6_000);
    } catch (err) {
      harnessErrors.push(`end measure: ${(err as Error).message}`);
    }
    measure('end');
  }

  let swaps: Awaited<ReturnType<EngineProcess['swaps']>> = [];
  try {
    swaps = engine.exit ? [] : await engine.swaps();
  } catch (err) {
    harnessErrors.push(`swap history: ${(err as Error).message}`);
  }
  const loads = swaps.filter((s) => s.action === 'load');
  const readyLoads = loads.filter((s) => s.outcome === 'ready');
  const loadDurations = readyLoads.map((s) => s.durationMs ?? 0).sort((a, b) => a - b);
  const unloadsByCause: Record<string, number> = {};
  for (const s of swaps.filter((x) => x.action === 'unload')) unloadsByCause[s.cause] = (unloadsByCause[s.cause] ?? 0) + 1;
  const readyByModel: Record<string, number> = {};
  for (const s of readyLoads) readyByModel[s.modelId] = (readyByModel[s.modelId] ?? 0) + 1;
  const rssValues = samples.map((s) => s.rssMiB).filter((v): v is number => v !== null);
  return {
    config: {
      minutes: opts.minutes,
      killEveryS: opts.killEveryS,
      streams: opts.streams,
      switchEveryS: opts.switchEveryS,
      timeScale: opts.timeScale,
      tokensPerS: opts.tokensPerS,
      requestTimeoutS: opts.requestTimeoutS,
      maxFdGrowth: opts.maxFdGrowth,
      models: MODEL_IDS,
      node: process.version,
    },
    startedAt,
    durationS,
    enginePid: engine.pid,
    ...summarizeRequests(results, kills),
    switches: {
      loadsReady: readyLoads.length,
      loadsFailed: loads.filter((s) => s.outcome === 'failed').length,
      loadsCancelled: loads.filter((s) => s.outcome === 'cancelled').length,
      unloadsByCause,
      readyByModel,
      loadMs: { p50: loadDurations.length ? loadDurations[Math.floor((loadDurations.length - 1) / 2)]! : null, max: loadDurations.at(-1) ?? null },
      loadFailures: loads
        .filter((s) => s.outcome !== 'ready')
        .map((s) => `${new Date(s.atMs).toISOString().slice(11, 23)} ${s.modelId} ${s.outcome} after ${s.durationMs ?? '?'} ms (cause ${s.cause})`),
    },
    kills: { done: kills.length, skipped: killsSkipped, records: kills },
    measures: [],
    rss: { minMiB: rssValues.length ? Math.min(...rssValues) : null, maxMiB: rssValues.length ? Math.max(...rssValues) : null, samples },
    engineStop: { exit: 'not stopped yet', ms: 0, groupGone: false },
    engineDiedEarly,
    leftovers: { atExit: [], afterGrace: [] },
    simLaunches: 0,
    engineLogFindings: [],
    harnessErrors: [],
    checks: [],
    unexplainedFailures: results.filter((r) => !r.ok && !r.cancelled && !nearAKill(r, kills)).length,
  };
}

/**
 * Waits for a backend with a pid — for up to 10 s one that is `prefer` (ready with a request being
 * served, or loading), then any — SIGKILLs its process group and watches the engine notice.
 */
async function killOnce(engine: EngineProcess, files: SoakHostFiles, prefer: 'serving' | 'loading', clientInFlight: () => number, stop: AbortSignal): Promise<KillRecord | null> {
  const start = Date.now();
  const notYetLaunched = new Set<number>();
  for (;;) {
    if (stop.aborted) return null;
    let state: EngineState | null = null;
    try {
      state = await engine.state();
    } catch {
      // the engine is busy or restarting: try again
    }
    if (state) {
      const active = state.requests.filter((r) => r.state === 'active');
      const waiting = state.requests.filter((r) => r.state === 'waiting');
      const withPid = state.slots.filter((s) => s.pid && ['ready', 'loading', 'starting'].includes(s.status));
      const preferred = withPid.find((s) => (prefer === 'serving' ? s.status === 'ready' && active.some((r) => r.modelId === s.modelId) : s.status !== 'ready'));
      const slot = preferred ?? (Date.now() - start > 10_000 ? withPid[0] : undefined);
      if (slot?.pid) {
        const pid = slot.pid;
        const launched = readLaunchLog(files.launchLogPath).some((l) => l.pid === pid);
        const info = procInfo(pid);
        if (!launched || !info || info.pgrp !== pid) {
          // Right after the spawn the simulator may not have written its launch line yet: try again.
          if (!notYetLaunched.has(pid))
            log(`kill: pid ${pid} from /api/state is ${!launched ? 'not in the launch log (yet)' : !info ? 'gone' : `not a group leader (pgrp ${info.pgrp})`}; not killing it`);
          notYetLaunched.add(pid);
        } else {
          const record: KillRecord = {
            atMs: Date.now(),
            pid,
            modelId: slot.modelId,
            phase: slot.progress?.phase ?? null,
            slotStatus: `${slot.status}${slot.pending && slot.pending.modelId !== slot.modelId ? `, ${slot.draining ? 'draining' : 'switching'} for ${slot.pending.modelId}` : ''}`,
            activeRequests: active.length,
            waitingRequests: waiting.length,
            clientInFlight: clientInFlight(),
            groupGoneMs: null,
            noticedMs: null,
            noticedAs: null,
          };
          killGroupQuietly(pid);
          log(
            `kill: SIGKILL to the group of ${slot.modelId} (pid ${pid}, ${record.slotStatus}${record.phase && record.phase !== slot.status ? `, ${record.phase}` : ''}), engine requests active ${active.length} / waiting ${waiting.length}, client in flight ${record.clientInFlight}`,
          );
          const gone = await waitGroupGone(pid, 5_000);
          record.groupGoneMs = gone ? Date.now() - record.atMs : null;
          while (Date.now() - record.atMs < 15_000) {
            const after = await engine.state().catch(() => null);
            const same = after?.slots.find((s) => s.pid === pid);
            if (after && (!same || !['ready', 'loading', 'starting'].includes(same.status))) {
              record.noticedMs = Date.now() - record.atMs;
              const slotNow = same ?? after.slots.find((s) => s.id === slot.id);
              record.noticedAs = slotNow
                ? `${slotNow.status}${slotNow.failure ? `: ${slotNow.failure.cause}` : ''}${slotNow.modelId && slotNow.modelId !== slot.modelId ? ` (${slotNow.modelId})` : ''}`
                : 'slot gone';
              break;
            }
            await sleep(100);
          }
          return record;
        }
      }
    }
    if (Date.now() - start > 20_000) return null;
    await sleep(200, stop);
  }
}

/** One non-streaming request that must succeed (warm-up, end measure). */
async function completeOnce(url: string, model: string, timeoutMs: number, stopOnEarlyEnd = true): Promise<void> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'soak warm-up' }], max_tokens: 4 }),
    signal: stopOnEarlyEnd ? AbortSignal.any([AbortSignal.timeout(timeoutMs), earlyEnd.signal]) : AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${model}: HTTP ${res.status} ${text.slice(0, 300)}`);
}

/** Until the engine holds no request and no slot is mid-switch. */
async function waitQuiet(engine: EngineProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await engine.state().catch(() => null);
    if (state && state.requests.length === 0 && state.slots.every((s) => !s.pending && s.queue.length === 0 && ['ready', 'stopped', 'failed'].includes(s.status))) return;
    if (Date.now() > deadline) throw new Error(`the engine did not become idle within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Stops the engine (SIGTERM), looks for leftovers, kills what is left, fills in the checks. */
async function finish(report: SoakReport, engine: EngineProcess, files: SoakHostFiles, tmp: string, opts: Options): Promise<void> {
  const exitedBefore = engine.exit;
  if (exitedBefore && !report.engineDiedEarly) report.engineDiedEarly = describeExit(exitedBefore);
  log(exitedBefore ? `the engine already exited (${describeExit(exitedBefore)})` : 'stopping the engine (SIGTERM to its group)…');
  const stop = await engine.stopGracefully(30_000);
  report.engineStop = { exit: describeExit(stop.exit), ms: stop.ms, groupGone: stop.gone };
  const launches = readLaunchLog(files.launchLogPath);
  report.simLaunches = launches.length;
  report.leftovers.atExit = findLeftovers(engine.pid, launches, tmp);
  await sleep(2_000);
  report.leftovers.afterGrace = findLeftovers(engine.pid, readLaunchLog(files.launchLogPath), tmp);
  // Always: nothing the soak started survives it.
  killEverything();
  for (const l of report.leftovers.afterGrace) await waitGroupGone(l.pgrp, 2_000);
  report.engineLogFindings = engineLogFindings(engine);
  report.harnessErrors.push(...harnessErrors);

  const m = (label: string) => report.measures.find((x) => x.label === label);
  const base = m('after warm-up');
  const end = m('end');
  const fdGrowth = base?.fds != null && end?.fds != null ? end.fds - base.fds : null;
  const rssGrowth = base?.rssMiB != null && end?.rssMiB != null ? end.rssMiB - base.rssMiB : null;
  const unexplained = report.unexplainedFailures;
  const checks: SoakCheck[] = [
    { check: 'no leftover processes 2 s after the engine exited', value: String(report.leftovers.afterGrace.length), pass: report.leftovers.afterGrace.length === 0, gating: true },
    {
      check: `engine fd growth ≤ ${opts.maxFdGrowth}`,
      value: fdGrowth === null ? 'not measured' : `${fdGrowth >= 0 ? '+' : ''}${fdGrowth}`,
      pass: fdGrowth !== null && fdGrowth <= opts.maxFdGrowth,
      gating: true,
    },
    { check: 'engine stayed up during the soak', value: report.engineDiedEarly ?? 'yes', pass: report.engineDiedEarly === null, gating: true },
    {
      check: 'engine exits 0 on SIGTERM within 30 s',
      value: `${report.engineStop.exit}, group ${report.engineStop.groupGone ? 'gone' : 'NOT gone'}`,
      pass: report.engineStop.exit === 'exit code 0' && report.engineStop.groupGone,
      gating: true,
    },
    {
      check: 'some requests succeeded, soak ran to the end',
      value: `${report.requests.ok} ok; harness errors ${report.harnessErrors.length}`,
      pass: report.requests.ok > 0 && report.harnessErrors.length === 0,
      gating: true,
    },
    { check: 'no leftover processes at the moment the engine exited', value: String(report.leftovers.atExit.length), pass: report.leftovers.atExit.length === 0, gating: false },
    { check: 'no failed requests away from a kill', value: String(unexplained), pass: unexplained === 0, gating: false },
    {
      check: 'engine RSS growth since warm-up',
      value: rssGrowth === null ? 'not measured' : `${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} MiB (run max ${report.rss.maxMiB?.toFixed(1) ?? '—'})`,
      pass: rssGrowth !== null && rssGrowth <= 64,
      gating: false,
    },
    {
      check: 'every kill was noticed by the engine within 15 s',
      value: `${report.kills.records.filter((k) => k.noticedMs !== null).length}/${report.kills.done}`,
      pass: report.kills.records.every((k) => k.noticedMs !== null),
      gating: false,
    },
  ];
  report.checks = checks;
}

/** Lines of serve.log that look like trouble (stack traces, unhandled errors, warnings). */
function engineLogFindings(engine: EngineProcess): string[] {
  const text = engine.logTail(2_000_000);
  const found: string[] = [];
  for (const line of text.split('\n')) {
    if (/error|warn|unhandled|exception|\bat .*:\d+:\d+/i.test(line)) found.push(line.slice(0, 300));
  }
  return [...new Set(found)];
}

function emptyReport(opts: Options, engine: EngineProcess, t0: number): SoakReport {
  return {
    config: { minutes: opts.minutes, killEveryS: opts.killEveryS, streams: opts.streams, switchEveryS: opts.switchEveryS, timeScale: opts.timeScale, tokensPerS: opts.tokensPerS },
    startedAt: new Date(t0).toISOString(),
    durationS: 0,
    enginePid: engine.pid,
    requests: { total: 0, ok: 0, failed: 0, cancelled: 0, streaming: { ok: 0, failed: 0 }, nonStreaming: { ok: 0, failed: 0 } },
    failuresByCause: [],
    perModel: [],
    ttftMs: { p50: null, p99: null },
    durationMs: { p50: null, p99: null, max: null },
    streamsThatWaited: 0,
    switches: { loadsReady: 0, loadsFailed: 0, loadsCancelled: 0, unloadsByCause: {}, readyByModel: {}, loadMs: { p50: null, max: null }, loadFailures: [] },
    kills: { done: 0, skipped: 0, records: [] },
    measures: [],
    rss: { minMiB: null, maxMiB: null, samples: [] },
    engineStop: { exit: 'not stopped yet', ms: 0, groupGone: false },
    engineDiedEarly: null,
    leftovers: { atExit: [] as Leftover[], afterGrace: [] as Leftover[] },
    simLaunches: 0,
    engineLogFindings: [],
    harnessErrors: [],
    checks: [],
    unexplainedFailures: 0,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);
}

function log(text: string): void {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

main().then(
  (code) => {
    killEverything();
    process.exit(code);
  },
  (err: unknown) => {
    console.error(`soak failed: ${err instanceof Error ? err.stack : String(err)}`);
    killEverything();
    process.exit(1);
  },
);
