import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../system/write-file-atomic.js';
import type { LoadFigures } from './read-load-figures.js';

/** What SGLang logged about a model's last successful load, kept so the next estimate uses it. */
export interface LearnedFit {
  /** `Load weight end … mem usage=` per GPU, GiB. */
  weightsGib: number;
  /** The tp it was measured at (weights per GPU only apply at the same tp). */
  tp: number;
  kvTokens: number | null;
  preLoadAvailGib: number | null;
  /**
   * GiB between the emptiest GPU's free memory as nvidia-smi showed it before the launch and SGLang's
   * `Load weight begin. avail mem=` (CUDA context + torch.distributed/NCCL: 0.1–1.6 GiB in the fixture
   * logs, depending on TP, NCCL and driver). Absent when either was unknown.
   */
  contextReserveGib?: number;
  atMs: number;
}

const FILE = 'fit-figures.json';

/** Per-model learned figures in `<stateDir>/fit-figures.json` (atomic writes); in memory only without a state dir. */
export class LearnedFitStore {
  private figures = new Map<string, LearnedFit>();
  private loaded: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly stateDir: string | null) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      if (this.stateDir === null) return;
      try {
        const parsed = JSON.parse(await readFile(join(this.stateDir, FILE), 'utf8')) as unknown;
        if (typeof parsed !== 'object' || parsed === null) return;
        for (const [id, value] of Object.entries(parsed as Record<string, unknown>)) {
          const v = value as Partial<LearnedFit> | null;
          if (v && typeof v.weightsGib === 'number' && typeof v.tp === 'number') {
            const reserve = typeof v.contextReserveGib === 'number' && Number.isFinite(v.contextReserveGib) ? { contextReserveGib: v.contextReserveGib } : {};
            this.figures.set(id, { weightsGib: v.weightsGib, tp: v.tp, kvTokens: v.kvTokens ?? null, preLoadAvailGib: v.preLoadAvailGib ?? null, ...reserve, atMs: v.atMs ?? 0 });
          }
        }
      } catch {
        // No file yet, or an unreadable one: start empty (the next load rewrites it).
      }
    })();
    return this.loaded;
  }

  async get(modelId: string): Promise<LearnedFit | undefined> {
    await this.load();
    return this.figures.get(modelId);
  }

  /**
   * The context reserve learnt at this TP size, newest first across the models (it belongs to the host —
   * driver, NCCL, GPUs — more than to a model), or null when no load at that TP taught one.
   */
  async reserveAt(tp: number): Promise<number | null> {
    await this.load();
    let newest: LearnedFit | undefined;
    for (const fit of this.figures.values()) {
      if (fit.tp === tp && fit.contextReserveGib !== undefined && (!newest || fit.atMs > newest.atMs)) newest = fit;
    }
    return newest?.contextReserveGib ?? null;
  }

  /** Keeps a finished load's figures (ignored without a `mem usage` figure); writes the file. */
  async record(modelId: string, figures: LoadFigures, tp: number, atMs: number, contextReserveGib?: number): Promise<void> {
    if (figures.weightsGib === null) return;
    await this.load();
    const reserve = contextReserveGib === undefined ? {} : { contextReserveGib: Number(contextReserveGib.toFixed(2)) };
    this.figures.set(modelId, { weightsGib: figures.weightsGib, tp, kvTokens: figures.kvTokens, preLoadAvailGib: figures.preLoadAvailGib, ...reserve, atMs });
    if (this.stateDir === null) return;
    const text = `${JSON.stringify(Object.fromEntries(this.figures), null, 2)}\n`;
    const path = join(this.stateDir, FILE);
    this.writing = this.writing.then(() => writeFileAtomic(path, text)).catch(() => undefined);
    await this.writing;
  }
}
