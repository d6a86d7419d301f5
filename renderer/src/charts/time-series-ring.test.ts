import { describe, expect, it } from 'vitest';
import { TimeSeriesRing } from './time-series-ring.js';

describe('TimeSeriesRing', () => {
  it('keeps the newest points, oldest first, x in seconds', () => {
    const ring = new TimeSeriesRing(3, 2);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, [i, i * 10]);
    expect(ring.length).toBe(3);
    expect(ring.toSeriesData()).toEqual([
      [3, 4, 5],
      [3, 4, 5],
      [30, 40, 50],
    ]);
  });

  it('ignores points that are not newer (history and live overlap)', () => {
    const ring = new TimeSeriesRing(10, 1);
    expect(ring.push(2000, [1])).toBe(true);
    expect(ring.push(2000, [2])).toBe(false);
    expect(ring.push(1000, [3])).toBe(false);
    expect(ring.toSeriesData()).toEqual([[2], [1]]);
    expect(ring.lastAtMs).toBe(2000);
  });

  it('keeps unknown values as null (a gap, never 0)', () => {
    const ring = new TimeSeriesRing(4, 2);
    ring.push(1000, [null, 5]);
    ring.push(2000, [7]);
    expect(ring.toSeriesData()).toEqual([
      [1, 2],
      [null, 7],
      [5, null],
    ]);
  });

  it('stays bounded over many pushes and clears', () => {
    const ring = new TimeSeriesRing(600, 1);
    for (let i = 0; i < 100_000; i++) ring.push(i, [i]);
    const [x, y] = ring.toSeriesData();
    expect(x).toHaveLength(600);
    expect(y?.[0]).toBe(100_000 - 600);
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.lastAtMs).toBeNull();
  });

  it('refuses a capacity below 1', () => {
    expect(() => new TimeSeriesRing(0, 1)).toThrow(RangeError);
  });
});
