import { describe, expect, it } from 'vitest';
import { readSseEvents, type SseEvent } from './sse-parser.js';

async function parse(chunks: string[]): Promise<SseEvent[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body())) events.push(event);
  return events;
}

describe('readSseEvents', () => {
  it.each([
    ['one event', ['event: state\ndata: {"a":1}\n\n'], [{ event: 'state', data: '{"a":1}' }]],
    ['default name and multi-line data', ['data: a\ndata: b\n\n'], [{ event: 'message', data: 'a\nb' }]],
    ['comments are skipped', [': keepalive\n\nevent: log\ndata: x\n\n'], [{ event: 'log', data: 'x' }]],
    ['CRLF split between chunks', ['event: log\r', '\ndata: x\r\n\r', '\n'], [{ event: 'log', data: 'x' }]],
    ['bare CR line ends', ['data: x\r\r'], [{ event: 'message', data: 'x' }]],
    ['field without space and id', ['id: 7\ndata:x\n\n'], [{ event: 'message', data: 'x', id: '7' }]],
    ['split in the middle of a field', ['eve', 'nt: load\nda', 'ta: {}\n', '\n'], [{ event: 'load', data: '{}' }]],
    ['unfinished last event is not dispatched', ['data: a\n\ndata: b\n'], [{ event: 'message', data: 'a' }]],
  ])('%s', async (_name, chunks, expected) => {
    expect(await parse(chunks)).toEqual(expected);
  });

  it('decodes a multi-byte character split across byte chunks', async () => {
    const bytes = new TextEncoder().encode('data: \u23f3\n\n');
    async function* body() {
      yield bytes.slice(0, 7);
      yield bytes.slice(7);
    }
    const events: SseEvent[] = [];
    for await (const event of readSseEvents(body())) events.push(event);
    expect(events).toEqual([{ event: 'message', data: '\u23f3' }]);
  });
});
