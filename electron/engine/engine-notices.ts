import type { EngineNotice } from '../../shared/engine-state.js';

/** Notices kept at most; the oldest go first (a flood of distinct ids must not grow the state). */
const MAX_NOTICES = 20;

/**
 * The engine's notices (EngineState.notices): set by id (a newer one with the same id replaces the
 * older), cleared by id when the cause is gone. Every change calls `onChange` so the state goes out.
 */
export class EngineNotices {
  private readonly byId = new Map<string, EngineNotice>();

  constructor(
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  set(id: string, level: EngineNotice['level'], message: string): void {
    const old = this.byId.get(id);
    if (old && old.level === level && old.message === message) return;
    this.byId.delete(id);
    this.byId.set(id, { id, level, message, atMs: this.now() });
    while (this.byId.size > MAX_NOTICES) this.byId.delete(this.byId.keys().next().value!);
    this.onChange();
  }

  clear(id: string): void {
    if (this.byId.delete(id)) this.onChange();
  }

  list(): EngineNotice[] {
    return [...this.byId.values()];
  }
}
