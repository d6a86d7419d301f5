import type { ModelEntry } from '../../../shared/catalog-schema.js';
import { EngineError } from '../../../shared/engine-error.js';
import type { FitComparison } from '../../../shared/fit-estimate.js';
import type { GpuSample } from '../../../shared/gpu-types.js';
import type { LogEvent } from '../../../shared/log-event.js';
import { modelGpuIndexes } from '../gpu/model-gpus.js';
import { CONTEXT_RESERVE_GIB, estimateFit, preLoadAvailGib, weightBytesFromCheckpoint, type FitEstimate, type KvCacheDtype } from './estimate-fit.js';
import type { LearnedFitStore } from './learned-fit-store.js';
import { foldLoadFigures } from './read-load-figures.js';
import { readModelFolder, type ModelFolderFacts } from './read-model-folder.js';
import type { ServerMemory } from './read-server-memory.js';

export interface FitCheckerOptions {
  /** The GPU monitor's latest tick; empty without nvidia-smi. */
  gpuSamples(): GpuSample[];
  /**
   * GPU indexes held by this engine's own servers that a switch to `model` stops first (its slot, and
   * slots it evicts): their memory is counted as free. `'all'` when a server holds every GPU.
   */
  releasedGpus(model: ModelEntry): Set<number> | 'all';
  learned: LearnedFitStore;
  readFolder?: (folder: string) => Promise<ModelFolderFacts>;
  /** A ready server's own `/server_info` memory figures (null when it has none or cannot answer). */
  readServerMemory?: (modelId: string) => Promise<ServerMemory | null>;
}

/** One launch of a model: its prediction and the figures its log gave so far. */
interface LoadFit {
  predicted: FitEstimate | null;
  /** The emptiest chosen GPU's free memory the prediction saw (GiB), to learn the context reserve from. */
  freeGib: number | null;
  events: LogEvent[];
  server: ServerMemory | null;
}

/** A learned context reserve above this is a misreading, not a reserve. */
const MAX_LEARNED_RESERVE_GIB = 8;

const FIGURE_EVENTS = new Set<LogEvent['kind']>(['server_args', 'weights_begin', 'weights_end', 'kv_alloc', 'max_tokens']);

const KV_DTYPES: readonly KvCacheDtype[] = ['auto', 'fp8_e4m3', 'fp8_e5m2', 'bfloat16', 'float16', 'float32'];

/** The value of `--flag` in a model's extraArgs (`--flag v` or `--flag=v`). */
function extraArg(model: ModelEntry, flag: string): string | undefined {
  const args = model.extraArgs;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

function positiveInt(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

/** Estimates whether a catalog model fits its GPUs now, and learns from finished loads. */
export class FitChecker {
  /** By model id: the latest launch's prediction and figures, kept after it is ready (the switch progress shows them). */
  private readonly loads = new Map<string, LoadFit>();

  constructor(private readonly opts: FitCheckerOptions) {}

  /** The estimate for a launchable model (modelPath), or null when there is nothing to read (script, upstream, no config.json). */
  async estimate(model: ModelEntry): Promise<FitEstimate | null> {
    return (await this.estimateWith(model))?.fit ?? null;
  }

  /** Throws EngineError 'will_not_fit' naming the GPU and the shortfall when the estimate says so. */
  async check(model: ModelEntry): Promise<FitEstimate | null> {
    const made = await this.estimateWith(model);
    if (made?.fit.verdict === 'will_not_fit') throw willNotFitError(model, made.fit, made.reserveGib);
    return made?.fit ?? null;
  }

  /**
   * A load's turn came: estimates, keeps the estimate as the launch's prediction, and refuses
   * (like check) unless `force`.
   */
  async beforeLoad(model: ModelEntry, force: boolean): Promise<void> {
    const made = await this.estimateWith(model);
    this.loads.set(model.id, { predicted: made?.fit ?? null, freeGib: made?.freeGib ?? null, events: [], server: null });
    if (!force && made?.fit.verdict === 'will_not_fit') throw willNotFitError(model, made.fit, made.reserveGib);
  }

  private async estimateWith(model: ModelEntry): Promise<{ fit: FitEstimate; freeGib: number | null; reserveGib: number } | null> {
    if (model.modelPath === undefined) return null;
    let facts: ModelFolderFacts;
    try {
      facts = await (this.opts.readFolder ?? readModelFolder)(model.modelPath);
    } catch {
      // A Hub id, a folder without config.json or an odd config: no estimate, never a refusal.
      return null;
    }
    const learned = await this.opts.learned.get(model.id);
    // The model's own figure at this TP, else what any load at this TP taught, else the default.
    const reserveGib = (learned?.tp === model.tp ? learned.contextReserveGib : undefined) ?? (await this.opts.learned.reserveAt(model.tp)) ?? CONTEXT_RESERVE_GIB;
    const kvArg = extraArg(model, '--kv-cache-dtype');
    const kvCacheDtype = KV_DTYPES.find((d) => d === kvArg) ?? 'auto';
    const gpu = this.emptiestGpu(model);
    const fit = estimateFit({
      geometry: facts.geometry,
      tp: model.tp,
      weightBytes: facts.checkpointBytes === null ? null : weightBytesFromCheckpoint(facts.checkpointBytes, facts.geometry),
      learnedWeightGib: learned?.tp === model.tp ? learned.weightsGib : null,
      contextLength: model.contextLength,
      memFractionStatic: model.memFractionStatic,
      kvCacheDtype,
      maxTotalTokens: positiveInt(extraArg(model, '--max-total-tokens')),
      pageSize: positiveInt(extraArg(model, '--page-size')) ?? 1,
      preLoadAvailGib: gpu ? preLoadAvailGib(gpu.totalMiB, gpu.usedMiB, reserveGib) : null,
      gpuTotalGib: gpu ? gpu.totalMiB / 1024 : null,
      ...(gpu ? { gpuLabel: gpu.label } : {}),
    });
    return { fit, freeGib: gpu ? (gpu.totalMiB - gpu.usedMiB) / 1024 : null, reserveGib };
  }

  /** The load's log events (fed through the switcher's onEvent). */
  onLogEvent(event: LogEvent, modelId: string): void {
    if (!FIGURE_EVENTS.has(event.kind)) return;
    let load = this.loads.get(modelId);
    // server_args opens each launch's log: a relaunch (crash, systemd restart) starts its figures afresh.
    if (!load || event.kind === 'server_args') {
      load = { predicted: load?.predicted ?? null, freeGib: load?.freeGib ?? null, events: [], server: null };
      this.loads.set(modelId, load);
    }
    load.events.push(event);
  }

  /** The model's latest launch as predicted and as reported so far, or undefined when none is known. */
  comparison(modelId: string): FitComparison | undefined {
    const load = this.loads.get(modelId);
    if (!load) return undefined;
    const figures = foldLoadFigures(load.events);
    const fromLog = { weightsPerGpuGib: figures.weightsGib, kvTokens: figures.maxTotalTokens ?? figures.kvTokens };
    const server = load.server;
    const actual = {
      weightsPerGpuGib: server?.weightsGib ?? fromLog.weightsPerGpuGib,
      kvTokens: server?.kvTokens ?? fromLog.kvTokens,
      source: server ? ('server_info' as const) : fromLog.weightsPerGpuGib !== null || fromLog.kvTokens !== null ? ('log' as const) : null,
    };
    const p = load.predicted;
    return {
      predicted: p ? { verdict: p.verdict, weightsPerGpuGib: p.weightsPerGpuGib, weightsSource: p.weightsSource, kvTokens: p.kvTokens, summary: p.summary } : null,
      actual,
    };
  }

  /** The model's server is gone: its figures no longer describe anything running. */
  forget(modelId: string): void {
    this.loads.delete(modelId);
  }

  /**
   * A load finished: a ready one asks the server for its own figures (`/server_info`; they fill in
   * what the log did not show, e.g. without a journal) and teaches the model's weight figure.
   */
  async onLoadFinished(model: ModelEntry | undefined, modelId: string, ready: boolean, atMs: number): Promise<void> {
    const load = this.loads.get(modelId);
    if (!ready || !load || !model) return;
    load.server = (await this.opts.readServerMemory?.(modelId).catch(() => null)) ?? null;
    if (this.loads.get(modelId) !== load) return; // relaunched meanwhile
    const figures = foldLoadFigures(load.events);
    if (load.server) {
      figures.weightsGib = load.server.weightsGib ?? figures.weightsGib;
      figures.kvTokens = load.server.kvTokens ?? figures.kvTokens;
      figures.kvPoolGib = load.server.kvPoolGib ?? figures.kvPoolGib;
    }
    const reserve = load.freeGib !== null && figures.preLoadAvailGib !== null ? load.freeGib - figures.preLoadAvailGib : undefined;
    // Outside 0–8 GiB the two readings describe different states of the GPU (another process came or went).
    await this.opts.learned.record(modelId, figures, figures.tp ?? model.tp, atMs, reserve !== undefined && reserve >= 0 && reserve <= MAX_LEARNED_RESERVE_GIB ? reserve : undefined);
  }

  /** The chosen GPU with the least free memory (less the context reserve, SGLang's `min_per_gpu_memory`). */
  private emptiestGpu(model: ModelEntry): { totalMiB: number; usedMiB: number; label: string } | null {
    const samples = this.opts.gpuSamples();
    if (samples.length === 0) return null;
    const released = this.opts.releasedGpus(model);
    let worst: { totalMiB: number; usedMiB: number; label: string } | null = null;
    for (const index of modelGpuIndexes(model).slice(0, model.tp)) {
      const sample = samples.find((s) => s.index === index);
      if (!sample || sample.memTotalMiB === null) return null;
      const used = released === 'all' || released.has(index) ? 0 : sample.memUsedMiB;
      if (used === null) return null;
      if (!worst || sample.memTotalMiB - used < worst.totalMiB - worst.usedMiB) {
        worst = { totalMiB: sample.memTotalMiB, usedMiB: used, label: `GPU ${index}${sample.name ? ` (${sample.name})` : ''}` };
      }
    }
    return worst;
  }
}

function willNotFitError(model: ModelEntry, fit: FitEstimate, contextReserveGib: number): EngineError {
  return new EngineError('will_not_fit', `${model.id} will not fit: ${fit.summary}. Lower contextLength or memFractionStatic, raise tp, free the GPU, or switch with force.`, {
    modelId: model.id,
    shortfallGib: Number(fit.shortfallGib.toFixed(2)),
    weightsPerGpuGib: Number(fit.weightsPerGpuGib.toFixed(2)),
    kvBytesPerToken: fit.kvBytesPerToken,
    contextReserveGib: Number(contextReserveGib.toFixed(2)),
  });
}
