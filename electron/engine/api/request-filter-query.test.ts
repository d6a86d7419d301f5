import { describe, expect, it } from 'vitest';
import { parseTimeOrAge } from '../../../shared/request-log.js';
import { parseRequestFilter } from './request-filter-query.js';

describe('parseRequestFilter', () => {
  it('reads every filter, with since as an age or a time', () => {
    const query = new URLSearchParams('model=chat&status=4xx&since=10m&until=5000&client=10.0.0.2&limit=20');
    expect(parseRequestFilter(query, 1_000_000)).toEqual({ model: 'chat', status: '4xx', sinceMs: 400_000, untilMs: 5000, client: '10.0.0.2', limit: 20 });
    expect(parseRequestFilter(new URLSearchParams(''))).toEqual({});
  });

  it('refuses a bad status, time or limit, naming the parameter', () => {
    expect(() => parseRequestFilter(new URLSearchParams('status=ok'))).toThrow(/"status"/);
    expect(() => parseRequestFilter(new URLSearchParams('since=yesterday'))).toThrow(/"since"/);
    expect(() => parseRequestFilter(new URLSearchParams('limit=0'))).toThrow(/"limit"/);
    expect(() => parseRequestFilter(new URLSearchParams('limit=abc'))).toThrow(/"limit"/);
  });
});

describe('parseTimeOrAge', () => {
  it('reads ms since the epoch and ages in s, m, h, d', () => {
    expect(parseTimeOrAge('1733540000000', 0)).toBe(1733540000000);
    expect(parseTimeOrAge('90s', 100_000)).toBe(10_000);
    expect(parseTimeOrAge('2h', 10_000_000)).toBe(2_800_000);
    expect(parseTimeOrAge('1d', 86_400_000)).toBe(0);
    expect(parseTimeOrAge('soon', 0)).toBeNull();
  });
});
