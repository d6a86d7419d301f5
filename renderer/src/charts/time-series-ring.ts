/** The data uPlot draws: x in seconds since the epoch, then one array per series (null = unknown, drawn as a gap). */
export type SeriesData = [number[], ...(number | null)[][]];

/**
 * A bounded ring of time-stamped readings for a chart: the newest `capacity` points are kept, older ones
 * fall off. Points must arrive in time order; one at or before the newest is ignored, so the same sample
 * from the history call and from a live event is stored once.
 */
export class TimeSeriesRing {
  private readonly xMs: Float64Array;
  private readonly values: (number | null)[][];
  private start = 0;
  private size = 0;

  constructor(
    readonly capacity: number,
    readonly seriesCount: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.xMs = new Float64Array(capacity);
    this.values = Array.from({ length: seriesCount }, () => new Array<number | null>(capacity).fill(null));
  }

  get length(): number {
    return this.size;
  }

  /** Time of the newest point, ms; null when empty. */
  get lastAtMs(): number | null {
    // The slot is taken modulo the capacity, xMs's own length: always in range.
    return this.size === 0 ? null : this.xMs[(this.start + this.size - 1) % this.capacity]!;
  }

  /** Adds one point; returns false (and stores nothing) when it is not newer than the newest. */
  push(atMs: number, point: readonly (number | null)[]): boolean {
    const last = this.lastAtMs;
    if (last !== null && atMs <= last) return false;
    const slot = this.size < this.capacity ? (this.start + this.size) % this.capacity : this.start;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
    this.xMs[slot] = atMs;
    // values has seriesCount arrays (constructor): values[s] is in range.
    for (let s = 0; s < this.seriesCount; s++) this.values[s]![slot] = point[s] ?? null;
    return true;
  }

  clear(): void {
    this.start = 0;
    this.size = 0;
  }

  /** The points oldest first, as uPlot's aligned arrays (x in seconds). */
  toSeriesData(): SeriesData {
    const x = new Array<number>(this.size);
    const ys = Array.from({ length: this.seriesCount }, () => new Array<number | null>(this.size));
    // Slots are taken modulo the capacity, the length of xMs and of each values array; ys and values both
    // have seriesCount arrays: every index below is in range (`?? null` only keeps a slot's type, number | null).
    for (let i = 0; i < this.size; i++) {
      const slot = (this.start + i) % this.capacity;
      x[i] = this.xMs[slot]! / 1000;
      for (let s = 0; s < this.seriesCount; s++) ys[s]![i] = this.values[s]![slot] ?? null;
    }
    return [x, ...ys];
  }
}
