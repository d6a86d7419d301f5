// `nvidia-smi -lms` prints one line per GPU per tick with nothing between ticks. A tick is complete once it has
// as many lines as there are GPUs; an index that does not rise also starts a new one, so a lost line or a
// changed GPU count costs one short tick instead of gluing two ticks together.

/** Groups per-GPU rows into ticks. */
export class TickAssembler<T extends { index: number }> {
  private pending: T[] = [];

  /** `gpuCount` from the one-shot query before the loop starts. */
  constructor(private gpuCount: number) {}

  /** Adds one GPU's row; returns the ticks it completed (zero, one, or two when an index restarts a full count). */
  push(row: T): T[][] {
    const done: T[][] = [];
    const last = this.pending.at(-1);
    if (last && row.index <= last.index) done.push(this.take());
    this.pending.push(row);
    if (this.pending.length >= this.gpuCount) done.push(this.take());
    return done;
  }

  /** Drops a half-read tick (the process died mid-tick). */
  reset(gpuCount = this.gpuCount): void {
    this.pending = [];
    this.gpuCount = gpuCount;
  }

  private take(): T[] {
    const tick = this.pending;
    this.pending = [];
    return tick;
  }
}
