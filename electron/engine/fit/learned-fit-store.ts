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
            this.figures.set(id, { weightsGib: v.weightsGib, tp: v.tp, kvTokens: v.kvTokens ?? null, preLoadAvailGib: v.preLoadAvailGib ?? null, atMs: v.atMs ?? 0 });
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

  /** Keeps a finished load's figures (ignored without a `mem usage` figure); writes the file. */
  async record(modelId: string, figures: LoadFigures, tp: number, atMs: number): Promise<void> {
    if (figures.weightsGib === null) return;
    await this.load();
    this.figures.set(modelId, { weightsGib: figures.weightsGib, tp, kvTokens: figures.kvTokens, preLoadAvailGib: figures.preLoadAvailGib, atMs });
    if (this.stateDir === null) return;
    const text = `${JSON.stringify(Object.fromEntries(this.figures), null, 2)}\n`;
    const path = join(this.stateDir, FILE);
    this.writing = this.writing.then(() => writeFileAtomic(path, text)).catch(() => undefined);
    await this.writing;
  }
}
