import { describe, expect, it } from 'vitest';
import { SampleRing } from './sample-ring.js';
import { TickAssembler } from './tick-assembler.js';

const rows = (...indexes: number[]) => indexes.map((index) => ({ index }));

function feed(assembler: TickAssembler<{ index: number }>, indexes: number[]): number[][] {
  return rows(...indexes).flatMap((row) => assembler.push(row).map((tick) => tick.map((r) => r.index)));
}

describe('TickAssembler', () => {
  it('completes a tick at the GPU count, without waiting for the next tick', () => {
    expect(feed(new TickAssembler(3), [0, 1, 2, 0, 1, 2])).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  it('one GPU: every line is a tick', () => {
    expect(feed(new TickAssembler(1), [0, 0, 0])).toEqual([[0], [0], [0]]);
  });

  it('a lost line costs one short tick, not a glued one', () => {
    expect(feed(new TickAssembler(3), [0, 1, 0, 1, 2])).toEqual([
      [0, 1],
      [0, 1, 2],
    ]);
  });

  it('reset drops a half-read tick', () => {
    const assembler = new TickAssembler(2);
    expect(feed(assembler, [0])).toEqual([]);
    assembler.reset();
    expect(feed(assembler, [0, 1])).toEqual([[0, 1]]);
  });
});

describe('SampleRing', () => {
  it('keeps the newest `capacity` items, oldest first, filtered by time', () => {
    const ring = new SampleRing<{ atMs: number }>(3);
    for (const atMs of [10, 20, 30, 40, 50]) ring.push({ atMs });
    expect(ring.size).toBe(3);
    expect(ring.toArray().map((s) => s.atMs)).toEqual([30, 40, 50]);
    expect(ring.toArray(40).map((s) => s.atMs)).toEqual([40, 50]);
  });

  it('refuses a capacity that cannot hold anything', () => {
    expect(() => new SampleRing(0)).toThrow(RangeError);
  });
});
