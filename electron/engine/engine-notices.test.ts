import { describe, expect, it } from 'vitest';
import { EngineNotices } from './engine-notices.js';

describe('EngineNotices', () => {
  it('replaces a notice by id, clears it, and reports only real changes', () => {
    let changes = 0;
    let now = 1;
    const notices = new EngineNotices(
      () => (changes += 1),
      () => now,
    );
    notices.set('state-dir:swaps', 'error', 'cannot write (ENOSPC)');
    notices.set('state-dir:swaps', 'error', 'cannot write (ENOSPC)');
    expect(changes).toBe(1);
    now = 2;
    notices.set('state-dir:swaps', 'error', 'cannot write (EROFS)');
    expect(notices.list()).toEqual([{ id: 'state-dir:swaps', level: 'error', message: 'cannot write (EROFS)', atMs: 2 }]);
    notices.clear('state-dir:swaps');
    notices.clear('state-dir:swaps');
    expect(notices.list()).toEqual([]);
    expect(changes).toBe(3);
  });

  it('keeps the newest 20 when many distinct ids come', () => {
    const notices = new EngineNotices(() => undefined);
    for (let i = 0; i < 30; i += 1) notices.set(`n${i}`, 'info', `notice ${i}`);
    expect(notices.list().map((n) => n.id)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i + 10}`));
  });
});
