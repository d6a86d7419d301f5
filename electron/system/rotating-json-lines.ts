import { chmod, lstat, mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where and how big: `path` grows to `maxBytes`, then becomes `path.1`; `keep` rotated files are kept. */
export interface RotatingJsonLinesOptions {
  path: string;
  /** The current file is rotated before a line would take it past this size (a single longer line gets a file of its own). */
  maxBytes: number;
  /** Rotated files kept beside the current one (`path.1` newest … `path.<keep>` oldest); at least 1. */
  keep: number;
  /** File mode of the current and every rotated file, enforced on each (umask and older files included); unset: 0666 less the umask. */
  mode?: number;
  /** Mode of directories created for `path`. */
  dirMode?: number;
}

/**
 * Appends JSON lines to a size-capped file, rotating `f` → `f.1` → … → `f.<keep>` (the oldest
 * dropped). Appends run one at a time in call order, each as one write(2) on an O_APPEND
 * descriptor opened for it, so a crash tears at most the line being written (readers skip what does not parse).
 * Rotation renames from the oldest end down to the first missing name, then `f` → `f.1`: every
 * rename frees the name the next one takes, so a crash between two renames leaves each record in
 * exactly one file, in order (higher number = older) — a gap at most, filled by the next rotation —
 * and the current file is either still `f` or already `f.1`. One writer per file is assumed
 * (the size is read from the descriptor, so another appender only skews when we rotate).
 */
export class RotatingJsonLines {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly opts: RotatingJsonLinesOptions;

  constructor(opts: RotatingJsonLinesOptions) {
    if (!Number.isInteger(opts.keep) || opts.keep < 1) throw new RangeError(`keep must be an integer ≥ 1, not ${opts.keep}`);
    if (!(opts.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${opts.maxBytes}`);
    this.opts = { ...opts };
  }

  /** The current file. */
  get path(): string {
    return this.opts.path;
  }

  /** `path.<n>`, the n-th newest rotated file. */
  rotatedPath(n: number): string {
    return `${this.opts.path}.${n}`;
  }

  /** Appends `value` as one line; resolves once it is written. A failure rejects this append only. */
  append(value: unknown): Promise<void> {
    return this.enqueue(() => this.write(Buffer.from(`${JSON.stringify(value)}\n`, 'utf8')));
  }

  /**
   * Appends `values` as consecutive lines in one write (rotation is decided for the whole batch, so a
   * batch never straddles two files); resolves once written. Nothing is written for an empty list.
   */
  appendAll(values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return this.flushed();
    let text = '';
    for (const value of values) text += `${JSON.stringify(value)}\n`;
    return this.enqueue(() => this.write(Buffer.from(text, 'utf8')));
  }

  /** Creates the directory and the current file, and applies `mode` to it and to every rotated file already there. */
  prepare(): Promise<void> {
    return this.enqueue(async () => {
      await (await this.openCurrent()).file.close();
      const { mode } = this.opts;
      if (mode !== undefined) for (const file of this.rotatedPaths()) await chmod(file, mode).catch(ignoreMissing);
    });
  }

  /**
   * Every line on disk, oldest first: `path.<keep>` … `path.1`, then `path`; missing files are
   * skipped, blank lines dropped. Runs after the appends queued before it. Rejects on an error
   * other than a missing file.
   */
  readLines(): Promise<string[]> {
    return this.enqueue(async () => {
      const lines: string[] = [];
      for (const file of [...this.rotatedPaths()].reverse().concat(this.opts.path)) {
        const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
        for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line);
      }
      return lines;
    });
  }

  /** Resolves once every append queued so far has finished (written or failed). */
  async flushed(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(line: Buffer): Promise<void> {
    const current = await this.openCurrent();
    let file = current.file;
    try {
      if (current.size > 0 && current.size + line.length > this.opts.maxBytes) {
        await file.close();
        await this.rotate();
        ({ file } = await this.openCurrent());
      }
      await file.write(line);
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** Opens the current file for appending (creating it and its directory) and says how big it is. */
  private async openCurrent(): Promise<{ file: FileHandle; size: number }> {
    const { path, mode } = this.opts;
    let file: FileHandle;
    try {
      file = await open(path, 'a', mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true, ...(this.opts.dirMode !== undefined ? { mode: this.opts.dirMode } : {}) });
      file = await open(path, 'a', mode);
    }
    try {
      const stats = await file.stat();
      // A new file gets `mode` less the umask; the log must be exactly `mode`.
      if (mode !== undefined && (stats.mode & 0o7777) !== mode) await file.chmod(mode);
      return { file, size: stats.size };
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  /** Shifts `f.<n-1>` → `f.<n>` from the first missing name (or the oldest, dropped) down to `f` → `f.1`. */
  private async rotate(): Promise<void> {
    const { keep } = this.opts;
    let top = keep;
    for (let n = 1; n <= keep; n++) {
      if (!(await exists(this.rotatedPath(n)))) {
        top = n;
        break;
      }
    }
    for (let n = top; n >= 2; n--) await rename(this.rotatedPath(n - 1), this.rotatedPath(n)).catch(ignoreMissing);
    await rename(this.opts.path, this.rotatedPath(1)).catch(ignoreMissing);
  }

  private rotatedPaths(): string[] {
    return Array.from({ length: this.opts.keep }, (_, i) => this.rotatedPath(i + 1));
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
