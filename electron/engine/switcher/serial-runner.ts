/** A caller waiting for an operation's outcome. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function rejectAll<T>(waiters: readonly Waiter<T>[], err: unknown): void {
  for (const w of waiters) w.reject(err);
}

/**
 * A FIFO of operations run one at a time by one loop — the single writer of a slot (SlotSwitcher)
 * and of the host (SlotPool). `onChange` runs when an operation starts and when it ends.
 */
export class SerialRunner<Op> {
  /** Waiting operations, oldest first. Owners may remove entries (a stop cancels queued loads). */
  readonly queue: Op[] = [];
  /** The operation running now. */
  current: Op | null = null;
  private running = false;

  constructor(
    private readonly execute: (op: Op) => Promise<void>,
    private readonly onChange: () => void,
  ) {}

  /** Nothing running, nothing queued. */
  get idle(): boolean {
    return this.current === null && this.queue.length === 0;
  }

  /** The running operation, then the queued ones. */
  all(): Op[] {
    return this.current === null ? [...this.queue] : [this.current, ...this.queue];
  }

  enqueue(op: Op): void {
    this.queue.push(op);
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let op = this.queue.shift(); op; op = this.queue.shift()) {
        this.current = op;
        this.onChange();
        try {
          await this.execute(op);
        } finally {
          this.current = null;
        }
        this.onChange();
      }
    } finally {
      this.running = false;
    }
  }
}
