// What createEngine builds before the engine itself: the backend, the histories and the GPU side.

import { join } from 'node:path';
import type { Catalog } from '../../shared/catalog-schema.js';
import type { ProcessBackend } from './backends/process-backend.js';
import { ChildProcessBackend } from './backends/child-process-backend.js';
import type { SystemdAccessOptions } from './backends/systemd/create-unit-control.js';
import { BenchHistory } from './bench/bench-history.js';
import type { CreateEngineOptions } from './engine.js';
import { GpuMonitor } from './gpu/gpu-monitor.js';
import { GpuPowerControl } from './gpu/gpu-power-control.js';
import { createPowerLimits } from './gpu/power-limits.js';
import { LoadHistory } from './switcher/load-history.js';
import { SwapHistory } from './switcher/swap-history.js';
import { RequestLog } from './requests/request-log.js';
import { LazySystemdBackend } from './backends/systemd/lazy-backend.js';
import { EngineNotices } from './engine-notices.js';
import { ServerRecords } from './host/server-records.js';
import { describeErrno } from '../system/describe-errno.js';

export interface EngineParts {
  /** The backend of one slot: the child-process backend serves every slot; systemd has a unit per slot. */
  backendFor(slotId: string): ProcessBackend;
  swaps: SwapHistory;
  /** The router's request log (`requests.jsonl`). */
  requestLog: RequestLog;
  history: LoadHistory;
  benchHistory: BenchHistory;
  /** Null when GPU monitoring is off. */
  monitor: GpuMonitor | null;
  power: GpuPowerControl;
  /** The servers this engine started, kept in `servers.json` so a later run finds what a killed one left. */
  servers: ServerRecords;
}

/**
 * Opens the histories, creates the backend, and starts the GPU monitor (its probe is awaited).
 * `currentCatalog` is what the backend reads at each launch (the engine's catalog after a replace).
 */
export async function createEngineParts(
  options: CreateEngineOptions,
  currentCatalog: () => Catalog = () => options.catalog,
  notices: EngineNotices = new EngineNotices(() => undefined),
): Promise<EngineParts> {
  const stateFile = (name: string) => (options.stateDir ? join(options.stateDir, name) : null);
  const history = await openHistory(notices, 'load history', stateFile('load-history.jsonl'), (file) => LoadHistory.open(file));
  const benchHistory = await openHistory(notices, 'bench history', stateFile('bench-history.jsonl'), (file) => BenchHistory.open(file));
  // The swap history reports its first write error itself and then keeps to memory (it never writes again).
  const swaps = await SwapHistory.open(stateFile('swap-history.jsonl'), (message) => {
    console.error(message);
    notices.set(stateNoticeId('swap history'), 'error', `${message}; the engine goes on (router and switches are not affected)`);
  });
  // Like the swap history: a write error is reported once, then the log keeps to memory.
  const requestLog = await RequestLog.open({
    file: stateFile('requests.jsonl'),
    onError: (message) => {
      console.error(message);
      notices.set(stateNoticeId('request log'), 'error', `${message}; the router goes on`);
    },
  });
  const servers = await ServerRecords.open(
    stateFile('servers.json'),
    (error) =>
      error
        ? notices.set(
            stateNoticeId('servers'),
            'error',
            `cannot write ${stateFile('servers.json')}: ${describeErrno(error)}; a server left behind by a crash of this engine will only be found by its command line; the engine goes on`,
          )
        : notices.clear(stateNoticeId('servers')),
    (message) => notices.set(stateNoticeId('servers read'), 'warning', message),
  );
  // journalctl missing or failing: the unit's log lines say so, and a notice until it shows entries again.
  const onJournalProblem = (unit: string, message: string | null) => (message === null ? notices.clear(`journal:${unit}`) : notices.set(`journal:${unit}`, 'warning', message));
  const backendFor = options.backend ? () => options.backend! : await createBackendFactory(options.catalog, currentCatalog, options.systemd, onJournalProblem);
  const monitor = createMonitor(options);
  monitor?.subscribeAvailability((availability) => {
    if (!availability.available || !availability.stale) return notices.clear(GPU_STALE_NOTICE);
    notices.set(
      GPU_STALE_NOTICE,
      'warning',
      'GPU readings are stale: nvidia-smi stopped answering (a hung driver, or a GPU fallen off the bus); the GPUs screen shows the last readings and how old they are. Models and the router are not affected.',
    );
  });
  await monitor?.start();
  return { backendFor, swaps, requestLog, history, benchHistory, monitor, power: createPowerControl(options, monitor), servers };
}

/** The notice while nvidia-smi does not answer (set and cleared by the GPU sampler's watchdog). */
const GPU_STALE_NOTICE = 'gpu:stale';

/** `state-dir:load-history`: one notice per state file, replaced while the cause lasts, cleared when it is gone. */
function stateNoticeId(what: string): string {
  return `state-dir:${what.replace(/\s+/g, '-')}`;
}

/**
 * Opens a history of the state dir and makes its writes report into the notices: a failed write (a full
 * or read-only disk) sets an error notice naming the file and the errno, the record stays in memory and
 * the caller is not failed (a benchmark still returns its result); the next write that succeeds clears
 * it. A file that cannot be read at start gives an empty history kept in memory only.
 */
async function openHistory<H extends { append(record: never): Promise<void> }>(notices: EngineNotices, what: string, file: string | null, open: (file: string | null) => Promise<H>): Promise<H> {
  const id = stateNoticeId(what);
  let history: H;
  try {
    history = await open(file);
  } catch (err) {
    const message = `${what}: cannot read ${file}: ${describeErrno(err)}; starting empty and keeping it in memory only`;
    console.error(message);
    notices.set(id, 'error', message);
    return open(null);
  }
  if (file === null) return history;
  const append = history.append.bind(history) as (record: unknown) => Promise<void>;
  let failing = false;
  (history as { append(record: unknown): Promise<void> }).append = async (record) => {
    try {
      await append(record);
    } catch (err) {
      const message = `${what}: cannot write ${file}: ${describeErrno(err)}; the engine goes on with it in memory (router and switches are not affected)`;
      if (!failing) console.error(message);
      failing = true;
      notices.set(id, 'error', message);
      return;
    }
    if (failing) {
      failing = false;
      console.error(`${what}: ${file} is written again`);
      notices.clear(id);
    }
  };
  return history;
}

function createMonitor({ gpuMonitor, catalog, gpuTopology }: CreateEngineOptions): GpuMonitor | null {
  if (gpuMonitor === false) return null;
  if (gpuMonitor instanceof GpuMonitor) return gpuMonitor;
  const { nvidiaSmiPath, sampleIntervalMs, historyS } = catalog.gpu;
  return new GpuMonitor({ nvidiaSmiPath, sampleIntervalMs, historyS, topology: gpuTopology });
}

/** The power-limit port is created on first use: most engines never change a limit. */
function createPowerControl(options: CreateEngineOptions, monitor: GpuMonitor | null): GpuPowerControl {
  const lookup = { latest: () => monitor?.latest() ?? [], findGpu: (id: string) => monitor?.findGpu(id) };
  return new GpuPowerControl(
    lookup,
    async () =>
      options.powerLimits ??
      createPowerLimits({
        isRoot: options.systemd?.isRoot,
        helperSocketPath: options.systemd?.helperSocketPath,
        nvidiaSmiPath: options.catalog.gpu.nvidiaSmiPath,
        stateDir: options.stateDir,
      }),
  );
}

/**
 * The child-process backend serves every slot. The systemd backend drives one unit per slot: the
 * configured unit when it is a plain one (then every model shares one slot: the catalog check
 * refuses several GPU sets), or `name@<slot>.service` of a template unit `name@.service`.
 */
async function createBackendFactory(
  catalog: Catalog,
  currentCatalog: () => Catalog,
  systemd: SystemdAccessOptions | undefined,
  onJournalProblem: (unit: string, message: string | null) => void,
): Promise<(slotId: string) => ProcessBackend> {
  if (catalog.backend.kind !== 'systemd') {
    const backend = new ChildProcessBackend();
    return () => backend;
  }
  // Loaded on demand: node-pty is a native module that only the systemd backend needs.
  const { createUnitControl } = await import('./backends/systemd/create-unit-control.js');
  const { SystemdBackend } = await import('./backends/systemd/systemd-backend.js');
  const backends = new Map<string, ProcessBackend>();
  const template = /^(.+)@\.service$/.exec(catalog.backend.unit);
  const journal = { journalctlCommand: systemd?.journalctlCommand, onJournalProblem };
  const single = template ? undefined : new SystemdBackend({ control: await createUnitControl(currentCatalog, systemd), scope: catalog.backend.scope, ...journal });
  if (single) return () => single;
  // One control per slot, created on the slot's first use; each reads the catalog with its instance unit.
  return (slotId: string) => {
    let backend = backends.get(slotId);
    if (!backend) {
      const unit = `${template![1]}@${slotId}.service`;
      const withUnit = () => ({ ...currentCatalog(), backend: { ...currentCatalog().backend, unit } });
      backend = new LazySystemdBackend(() => createUnitControl(withUnit, systemd).then((control) => new SystemdBackend({ control, scope: catalog.backend.scope, ...journal })));
      backends.set(slotId, backend);
    }
    return backend;
  };
}
