import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSseData, replaceSseData, SseEventSplitter } from './sse-event-splitter.js';

const SAMPLE = readFileSync(new URL('../../../test/fixtures/sglang-stream-sample.txt', import.meta.url), 'utf8');

/** The fixture's events: its leading comment block, then 11 `data:` events, each ending in "\n\n". */
const SAMPLE_EVENTS = SAMPLE.split(/(?<=\n\n)/);

const withEnding = (events: string[], eol: string): string[] => events.map((e) => e.replace(/\n/g, eol));

/** Streams given as the list of events they are made of; the splitter must find exactly these. */
const STREAMS: { name: string; events: string[]; trailing?: string }[] = [
  { name: 'SGLang sample (LF)', events: SAMPLE_EVENTS },
  { name: 'SGLang sample (CRLF)', events: withEnding(SAMPLE_EVENTS, '\r\n') },
  { name: 'SGLang sample (bare CR)', events: withEnding(SAMPLE_EVENTS, '\r') },
  {
    name: 'multi-line events with fields and comments',
    events: [': keep-alive\n\n', 'event: message\nid: 7\ndata: {"a":1,\ndata: "b":2}\n\n', 'retry: 1000\n\n', 'data: é ünïcode 🔄\n\n', 'data\n\n'],
  },
  {
    name: 'mixed line endings (spec allows any per line)',
    events: ['data: a\r\n\r\n', 'data: b\n\n', 'data: c\r\n\n', 'data: d\n\r\n', 'data: e\r\r', 'data: f\n\n'],
  },
  { name: 'stream cut inside an event', events: ['data: 1\n\n', 'data: 2\n\n'], trailing: 'data: {"choices":[' },
  { name: 'stream cut after a line but before its blank line', events: ['data: 1\n\n'], trailing: 'data: 2\n' },
];

/** Feeds `input` in chunks cut at `cuts`, collecting every output including flush(). */
function run(input: Buffer, cuts: number[]): { events: Buffer[]; flushed: Buffer[] } {
  const splitter = new SseEventSplitter();
  const events: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    events.push(...splitter.push(input.subarray(from, cut)));
    from = cut;
  }
  return { events, flushed: splitter.flush() };
}

/** Deterministic pseudo-random numbers, so a failing chunking can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function chunkings(length: number): { label: string; cuts: number[] }[] {
  const result: { label: string; cuts: number[] }[] = [{ label: 'whole', cuts: [] }];
  for (const size of [1, 2, 3, 7, 64, 333]) {
    const cuts: number[] = [];
    for (let at = size; at < length; at += size) cuts.push(at);
    result.push({ label: `every ${size} bytes`, cuts });
  }
  const random = seededRandom(length);
  for (let round = 0; round < 20; round++) {
    const cuts = new Set<number>();
    const count = 1 + Math.floor(random() * 30);
    for (let k = 0; k < count; k++) cuts.add(1 + Math.floor(random() * (length - 1)));
    result.push({ label: `random #${round}`, cuts: [...cuts].sort((a, b) => a - b) });
  }
  return result;
}

describe('SseEventSplitter', () => {
  it('the SGLang fixture holds a comment block and 11 data events', () => {
    expect(SAMPLE_EVENTS).toHaveLength(12);
    expect(SAMPLE_EVENTS.join('')).toBe(SAMPLE);
    expect(SAMPLE_EVENTS.at(-1)).toBe('data: [DONE]\n\n');
  });

  describe.each(STREAMS)('$name', ({ events, trailing = '' }) => {
    const input = Buffer.from(events.join('') + trailing, 'utf8');

    it.each(chunkings(input.length))('$label: finds every event, byte for byte', ({ cuts }) => {
      const out = run(input, cuts);
      expect(out.events.map((e) => e.toString('utf8'))).toEqual(events);
      expect(out.flushed.map((e) => e.toString('utf8'))).toEqual(trailing ? [trailing] : []);
      expect(Buffer.concat([...out.events, ...out.flushed]).equals(input)).toBe(true);
    });

    it('finds every event for every single cut position', () => {
      for (let cut = 1; cut < input.length; cut++) {
        const out = run(input, [cut]);
        expect(
          out.events.map((e) => e.toString('utf8')),
          `cut at ${cut}`,
        ).toEqual(events);
        expect(Buffer.concat([...out.events, ...out.flushed]).equals(input)).toBe(true);
      }
    });
  });

  it.each([
    { name: 'LF | LF', chunks: ['data: a\n', '\ndata: b\n\n'], outputs: [[], ['data: a\n\n', 'data: b\n\n']] },
    { name: 'CRLF | CRLF', chunks: ['data: a\r\n', '\r\n'], outputs: [[], ['data: a\r\n\r\n']] },
    { name: 'CR | LF of the blank line', chunks: ['data: a\r\n\r', '\n'], outputs: [[], ['data: a\r\n\r\n']] },
    { name: 'CR | LF of the data line', chunks: ['data: a\r', '\n\r\n'], outputs: [[], ['data: a\r\n\r\n']] },
    { name: 'two events in one chunk', chunks: ['data: a\n\ndata: b\n\n'], outputs: [['data: a\n\n', 'data: b\n\n']] },
    { name: 'one event over three chunks', chunks: ['da', 'ta: ', 'x\n\n'], outputs: [[], [], ['data: x\n\n']] },
  ])('split boundary $name', ({ chunks, outputs }) => {
    const splitter = new SseEventSplitter();
    expect(chunks.map((c) => splitter.push(Buffer.from(c)).map(String))).toEqual(outputs);
    expect(splitter.flush()).toEqual([]);
  });

  it('does not hold an event back in a bare-CR stream once the stream showed it uses bare CRs', () => {
    const splitter = new SseEventSplitter();
    expect(splitter.push(Buffer.from('data: a\r\r')).map(String)).toEqual(['data: a\r\r']);
    expect(splitter.push(Buffer.from('data: b\r\r')).map(String)).toEqual(['data: b\r\r']);
  });

  it('returns views of the chunk, not copies, when the chunk holds whole events', () => {
    const chunk = Buffer.from('data: a\n\ndata: bb\n\n');
    const [first, second] = new SseEventSplitter().push(chunk);
    expect(first?.buffer).toBe(chunk.buffer);
    expect(second?.buffer).toBe(chunk.buffer);
    expect(second?.byteOffset).toBe(chunk.byteOffset + 'data: a\n\n'.length);
  });

  it('accepts plain Uint8Array chunks (as undici yields them)', () => {
    const events = new SseEventSplitter().push(new TextEncoder().encode('data: a\n\n'));
    expect(Buffer.isBuffer(events[0])).toBe(true);
    expect(events.map(String)).toEqual(['data: a\n\n']);
  });

  it('starts clean after flush(): a pending CR no longer pairs with the next LF', () => {
    const splitter = new SseEventSplitter();
    splitter.push(Buffer.from('data: cut\r'));
    expect(splitter.flush().map(String)).toEqual(['data: cut\r']);
    // A fresh stream starting with an empty line: that line is an (empty) event of its own.
    expect(splitter.push(Buffer.from('\ndata: b\n\n')).map(String)).toEqual(['\n', 'data: b\n\n']);
  });
});

describe('parseSseData', () => {
  it.each([
    { event: 'data: {"a":1}\n\n', data: '{"a":1}' },
    { event: 'data:{"a":1}\n\n', data: '{"a":1}' },
    { event: 'data:  two spaces\n\n', data: ' two spaces' },
    { event: 'data: [DONE]\n\n', data: '[DONE]' },
    { event: 'data: a\ndata: b\n\n', data: 'a\nb' },
    { event: 'data: a\r\ndata:b\r\n\r\n', data: 'a\nb' },
    { event: 'data: a\rdata: b\r\r', data: 'a\nb' },
    { event: 'event: update\nid: 3\ndata: x\n\n', data: 'x' },
    { event: ': comment\ndata: x\n: another\n\n', data: 'x' },
    { event: 'data\n\n', data: '' },
    { event: 'data:\n\n', data: '' },
    { event: 'data: no terminator', data: 'no terminator' },
    { event: ': just a comment\n\n', data: null },
    { event: 'event: ping\n\n', data: null },
    { event: '\n', data: null },
    { event: 'database: x\n\n', data: null },
  ])('$event', ({ event, data }) => {
    expect(parseSseData(Buffer.from(event))).toBe(data);
  });

  it('decodes UTF-8', () => {
    expect(parseSseData(Buffer.from('data: {"content":"⏳ 45% · é"}\n\n'))).toBe('{"content":"⏳ 45% · é"}');
  });
});

describe('replaceSseData', () => {
  it.each([
    { event: 'data: {"a":1}\n\n', data: '{"b":2}', out: 'data: {"b":2}\n\n' },
    { event: 'data:{"a":1}\r\n\r\n', data: '{"b":2}', out: 'data: {"b":2}\r\n\r\n' },
    { event: 'id: 1\ndata: a\ndata: b\n\n', data: 'x', out: 'id: 1\ndata: x\n\n' },
    { event: 'event: e\r\ndata: a\r\nid: 2\r\n\r\n', data: 'x', out: 'event: e\r\ndata: x\r\nid: 2\r\n\r\n' },
    { event: 'data: cut', data: 'x', out: 'data: x' },
  ])('$event', ({ event, data, out }) => {
    expect(replaceSseData(Buffer.from(event), data).toString('utf8')).toBe(out);
  });
});
