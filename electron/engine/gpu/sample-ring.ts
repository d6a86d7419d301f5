/** A fixed-capacity ring of items with a time, oldest dropped first. O(1) push. */
export class SampleRing<T extends { atMs: number }> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Items oldest first, those at or after `sinceMs` when given. */
  toArray(sinceMs = -Infinity): T[] {
    const out: T[] = [];
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const item = this.items[(first + i) % this.capacity]!;
      if (item.atMs >= sinceMs) out.push(item);
    }
    return out;
  }
}
