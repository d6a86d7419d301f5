// GPU power limits through nvidia-smi, LACT-style: every change reverts unless confirmed. Used by the helper
// daemon, and in-process by an engine that runs as root; nvidia-smi runs through run-nvidia-smi.ts (never a
// shell). All work runs one task at a time, in arrival order, so a timed revert never interleaves with a
// request on the same GPU.

import { randomBytes } from 'node:crypto';
import { HelperError, type HelperErrorBody, type PowerLimitChange } from '../../../shared/helper-protocol.js';
import { parsePowerLimitOutput, type PowerLimitError } from './parse-power-limit-output.js';
import { parseQueryCsv } from './parse-query-csv.js';
import { nvidiaSmiProblem, runNvidiaSmi } from './run-nvidia-smi.js';
import { describeErrno } from '../describe-errno.js';
import type { PowerLimitControl } from './power-limit-control.js';
import { PowerLimitStore } from './power-limit-store.js';

/** What the helper does on its own, without a request: for the audit log. */
export interface PowerLimitEvent {
  op: 'timedRevertPowerLimit' | 'shutdownRevertPowerLimit' | 'reapplyPowerLimit';
  args: Record<string, unknown>;
  outcome: { ok: true } | { ok: false; error: HelperErrorBody };
}

export interface NvidiaPowerLimitsOptions {
  /** The nvidia-smi executable (a path, or a name looked up on PATH). */
  nvidiaSmiPath: string;
  /** Holds `power-limits.json`. */
  stateDir: string;
  /** When `setPowerLimit` is given none; default 20. */
  defaultRevertAfterS?: number;
  /** Per nvidia-smi run; default 30 000. */
  timeoutMs?: number;
  onEvent?: (event: PowerLimitEvent) => void;
}

/** One GPU's identity and limits as `--query-gpu` reads them; null where nvidia-smi says it does not know. */
interface GpuLimits {
  uuid: string;
  busId: string;
  limitW: number | null;
  enforcedW: number | null;
  minW: number | null;
  maxW: number | null;
}

interface PendingChange {
  changeId: string;
  uuid: string;
  /** The limit before the first unconfirmed change: what a revert restores, however many changes followed. */
  previousW: number;
  watts: number;
  /** Read back after the change. */
  enforcedW: number;
  revertAt: string;
  timer: NodeJS.Timeout;
}

const QUERY_FIELDS = ['index', 'uuid', 'pci.bus_id', 'power.limit', 'enforced.power.limit', 'power.min_limit', 'power.max_limit', 'power.default_limit'];

/** Power limits for NVIDIA GPUs named by UUID or PCI bus id. */
export class NvidiaPowerLimits implements PowerLimitControl {
  readonly nvidiaSmiPath: string;
  private readonly store: PowerLimitStore;
  private readonly defaultRevertAfterS: number;
  private readonly timeoutMs: number;
  private readonly onEvent: (event: PowerLimitEvent) => void;
  /** By GPU UUID: at most one unconfirmed change per GPU. */
  private readonly pending = new Map<string, PendingChange>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: NvidiaPowerLimitsOptions) {
    this.nvidiaSmiPath = options.nvidiaSmiPath;
    this.store = new PowerLimitStore(options.stateDir);
    this.defaultRevertAfterS = options.defaultRevertAfterS ?? 20;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  /** Where confirmed limits are kept. */
  get persistedPath(): string {
    return this.store.path;
  }

  setPowerLimit(gpu: string, watts: number, revertAfterS = this.defaultRevertAfterS): Promise<PowerLimitChange> {
    if (!Number.isInteger(watts) || watts <= 0) return Promise.reject(new HelperError('bad_request', `watts: must be a whole number of watts, not ${watts}`));
    if (!Number.isFinite(revertAfterS) || revertAfterS <= 0) return Promise.reject(new HelperError('bad_request', `revertAfterS: must be a positive number of seconds, not ${revertAfterS}`));
    return this.serially(() => this.set(gpu, watts, revertAfterS));
  }

  confirm(changeId: string): Promise<void> {
    return this.serially(async () => {
      const change = this.pendingById(changeId);
      // A full or read-only state dir: the confirm fails, and says so; the change stays pending (it reverts at
      // its time unless a later confirm succeeds), so the limit never outlives the helper without being saved.
      await this.store.set(change.uuid, change.watts).catch((err: unknown) => {
        throw new HelperError(
          'failed',
          `could not save the limit of ${change.uuid} (${change.watts} W) to ${this.store.path}: ${describeErrno(err)}; ` +
            `the change is still pending and reverts at ${change.revertAt} unless a confirm succeeds (free space or make the helper's state dir writable, then confirm again)`,
        );
      });
      this.forget(change);
    });
  }

  revert(changeId: string): Promise<number> {
    return this.serially(() => this.restore(this.pendingById(changeId)));
  }

  /** The unconfirmed changes, oldest first. */
  pendingChanges(): PowerLimitChange[] {
    return [...this.pending.values()].map((c) => ({ changeId: c.changeId, gpu: c.uuid, previousW: c.previousW, enforcedW: c.enforcedW, revertAt: c.revertAt }));
  }

  /** At start: applies each persisted limit to the GPU with that UUID (missing GPUs and out-of-range limits are skipped). */
  reapplyPersisted(): Promise<void> {
    return this.serially(async () => {
      const limits = await this.store.read().catch((err: unknown) => {
        this.emit('reapplyPowerLimit', { file: this.store.path }, err);
        return {};
      });
      const entries = Object.entries(limits);
      if (entries.length === 0) return;
      const gpus = await this.queryGpus().catch((err: unknown) => err);
      for (const [uuid, { watts }] of entries) {
        const args = { gpu: uuid, watts };
        if (!Array.isArray(gpus)) this.emit('reapplyPowerLimit', args, gpus);
        else
          await this.reapplyOne(gpus, uuid, watts).then(
            (result) => this.emit('reapplyPowerLimit', { ...args, ...result }),
            (err) => this.emit('reapplyPowerLimit', args, err),
          );
      }
    });
  }

  /** At shutdown: restores every unconfirmed change now (unconfirmed means unwanted) and cancels the timers. */
  revertPending(): Promise<void> {
    return this.serially(async () => {
      for (const change of [...this.pending.values()]) await this.restoreLogged('shutdownRevertPowerLimit', change);
    });
  }

  private async set(gpu: string, watts: number, revertAfterS: number): Promise<PowerLimitChange> {
    const target = findGpu(await this.queryGpus(), gpu);
    checkRange(target, watts);
    const earlier = this.pending.get(target.uuid);
    const previousW = earlier?.previousW ?? target.limitW;
    if (previousW === null) throw new HelperError('unsupported', `GPU ${describe(target)} reports no power.limit; its limit cannot be changed and restored`);
    const enforcedW = await this.apply(target, watts);
    if (earlier) this.forget(earlier);
    const change = this.schedule({ uuid: target.uuid, previousW, watts, enforcedW }, revertAfterS);
    return { changeId: change.changeId, gpu: target.uuid, previousW, enforcedW, revertAt: change.revertAt };
  }

  private async reapplyOne(gpus: GpuLimits[], uuid: string, watts: number): Promise<Record<string, unknown>> {
    const target = findGpu(gpus, uuid);
    checkRange(target, watts);
    if (target.limitW === watts) return { busId: target.busId, unchanged: true };
    return { busId: target.busId, previousW: target.limitW, enforcedW: await this.apply(target, watts) };
  }

  /** Runs `-pl`, then reads the limit back: nvidia-smi's exit code alone does not prove the change. Resolves to the enforced limit. */
  private async apply(target: GpuLimits, watts: number): Promise<number> {
    const args = ['-i', target.busId, '-pl', String(watts)];
    const out = await this.run(args);
    const report = parsePowerLimitOutput(out.text);
    const [firstError] = report.errors;
    if (firstError) throw toHelperError(firstError, target, out.text);
    if (out.code !== 0 || !report.changes.some((c) => normalizeBusId(c.busId) === normalizeBusId(target.busId))) {
      throw new HelperError('failed', `nvidia-smi ${args.join(' ')} (exit ${out.code}): ${oneLine(out.text)}`);
    }
    const after = findGpu(await this.queryGpus(), target.uuid);
    if (after.limitW !== watts) {
      throw new HelperError('failed', `nvidia-smi reported the limit of GPU ${describe(target)} set to ${watts} W, but power.limit reads ${after.limitW ?? 'unknown'} W`);
    }
    return after.enforcedW ?? after.limitW;
  }

  private schedule(what: Pick<PendingChange, 'uuid' | 'previousW' | 'watts' | 'enforcedW'>, revertAfterS: number): PendingChange {
    const changeId = `pl-${randomBytes(6).toString('hex')}`;
    const timer = setTimeout(() => void this.serially(() => this.timedRevert(changeId)), revertAfterS * 1000);
    // The daemon's server keeps it alive; a pending revert alone must not (tests, shutdown).
    timer.unref();
    const change: PendingChange = { ...what, changeId, revertAt: new Date(Date.now() + revertAfterS * 1000).toISOString(), timer };
    this.pending.set(what.uuid, change);
    return change;
  }

  private async timedRevert(changeId: string): Promise<void> {
    const change = [...this.pending.values()].find((c) => c.changeId === changeId);
    if (change) await this.restoreLogged('timedRevertPowerLimit', change);
  }

  /** A revert nobody waits for: logged either way, and forgotten even when it failed (there is no one to retry it). */
  private async restoreLogged(op: PowerLimitEvent['op'], change: PendingChange): Promise<void> {
    const args = { changeId: change.changeId, gpu: change.uuid, watts: change.previousW };
    await this.restore(change).then(
      (enforcedW) => this.emit(op, { ...args, enforcedW }),
      (err) => this.emit(op, args, err),
    );
    this.forget(change);
  }

  private async restore(change: PendingChange): Promise<number> {
    const target = findGpu(await this.queryGpus(), change.uuid);
    const enforcedW = await this.apply(target, change.previousW);
    this.forget(change);
    return enforcedW;
  }

  private forget(change: PendingChange): void {
    clearTimeout(change.timer);
    if (this.pending.get(change.uuid) === change) this.pending.delete(change.uuid);
  }

  private pendingById(changeId: string): PendingChange {
    const change = [...this.pending.values()].find((c) => c.changeId === changeId);
    if (!change) throw new HelperError('not_found', `no pending power-limit change "${changeId}" (it was confirmed, reverted, superseded or it expired)`);
    return change;
  }

  private async queryGpus(): Promise<GpuLimits[]> {
    const out = await this.run([`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']);
    if (out.code !== 0) throw new HelperError('failed', `nvidia-smi --query-gpu (exit ${out.code}): ${oneLine(out.text)}`);
    return parseQueryCsv(out.stdout, QUERY_FIELDS).rows.flatMap((row) => {
      const uuid = row['uuid'];
      const busId = row['pci.bus_id'];
      if (!uuid || !busId) return [];
      return [{ uuid, busId, limitW: watt(row['power.limit']), enforcedW: watt(row['enforced.power.limit']), minW: watt(row['power.min_limit']), maxW: watt(row['power.max_limit']) }];
    });
  }

  /** Resolves with the exit code whatever it is; rejects (`failed`) only when nvidia-smi could not run or timed out. */
  private async run(args: string[]): Promise<{ code: number; stdout: string; text: string }> {
    // A hung nvidia-smi is SIGKILLed after timeoutMs, and every task queued behind this one waits for that at most.
    const result = await runNvidiaSmi(this.nvidiaSmiPath, args, { timeoutMs: this.timeoutMs, maxOutputBytes: 1024 * 1024 });
    const problem = nvidiaSmiProblem(result);
    if (problem !== null || result.code === null) throw new HelperError('failed', `could not run ${this.nvidiaSmiPath} ${args.join(' ')}: ${problem}`);
    return { code: result.code, stdout: result.stdout, text: `${result.stdout}${result.stderr}` };
  }

  private emit(op: PowerLimitEvent['op'], args: Record<string, unknown>, err?: unknown): void {
    const error = err instanceof HelperError ? { code: err.code, message: err.message } : { code: 'internal' as const, message: messageOf(err) };
    this.onEvent({ op, args, outcome: err === undefined ? { ok: true } : { ok: false, error } });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function findGpu(gpus: GpuLimits[], id: string): GpuLimits {
  if (/^\d+$/.test(id)) throw new HelperError('bad_request', `gpu: "${id}" looks like an index; name GPUs by UUID or PCI bus id (indexes can change at boot)`);
  const busId = normalizeBusId(id);
  const gpu = gpus.find((g) => g.uuid.toLowerCase() === id.toLowerCase() || (busId !== null && normalizeBusId(g.busId) === busId));
  if (!gpu) throw new HelperError('not_found', `no GPU ${id}; nvidia-smi lists ${gpus.map(describe).join(', ') || 'none'}`);
  return gpu;
}

function checkRange(gpu: GpuLimits, watts: number): void {
  if (gpu.minW === null || gpu.maxW === null) {
    throw new HelperError('unsupported', `GPU ${describe(gpu)} reports no power limit range (power.min_limit/power.max_limit unknown)`);
  }
  if (watts < gpu.minW || watts > gpu.maxW) {
    throw new HelperError('out_of_range', `${watts} W is out of range for GPU ${describe(gpu)}: its power limit must be between ${gpu.minW} W and ${gpu.maxW} W`);
  }
}

function toHelperError(error: PowerLimitError, gpu: GpuLimits, text: string): HelperError {
  switch (error.kind) {
    case 'out-of-range':
      return new HelperError('out_of_range', `${error.requestedW} W is out of range for GPU ${describe(gpu)}: its power limit must be between ${error.minW} W and ${error.maxW} W`);
    case 'not-supported':
      return new HelperError('unsupported', `GPU ${describe(gpu)} does not support changing its power limit; nvidia-smi said: ${oneLine(text)}`);
    case 'insufficient-permissions':
      return new HelperError('failed', `nvidia-smi lacks the permission to change the power limit of GPU ${describe(gpu)} (the helper must run as root): ${oneLine(text)}`);
    case 'unrecognized':
      return new HelperError('failed', `nvidia-smi could not change the power limit of GPU ${describe(gpu)}: ${error.message}`);
  }
}

/** `0000:41:00.0`, `41:00.0` and any case name `00000000:41:00.0`; null for anything else. */
function normalizeBusId(id: string): string | null {
  const match = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(id);
  return match ? `${(match[1] ?? '0').padStart(8, '0')}:${match[2]}:${match[3]}.${match[4]}`.toUpperCase() : null;
}

function watt(value: string | null | undefined): number | null {
  return value != null && /^\d+(\.\d+)?$/.test(value) ? Number(value) : null;
}

function describe(gpu: GpuLimits): string {
  return `${gpu.uuid} (${gpu.busId})`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim() || '(no output)';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
