import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration.js';

describe('formatDuration', () => {
  it.each([
    [0, '0m00s'],
    [4_400, '0m04s'],
    [42_000, '0m42s'],
    [59_600, '1m00s'],
    [725_000, '12m05s'],
    [3_725_000, '1h02m05s'],
    [-5_000, '0m00s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
