import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TickCoalescingWriter } from './tick-coalescing-writer.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves one response with `respond`, and returns the raw bytes a client received (headers and chunked body). */
async function rawResponse(respond: (res: ServerResponse) => void): Promise<string> {
  server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
}

/** The chunk sizes of a chunked body, in order (the terminating 0 included). */
function chunkSizes(raw: string): number[] {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const sizes: number[] = [];
  for (let at = 0; at < body.length;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, eol), 16);
    sizes.push(size);
    at = eol + 2 + size + 2;
    if (size === 0) break;
  }
  return sizes;
}

describe('TickCoalescingWriter', () => {
  it('sends the chunks written in one tick as one HTTP chunk, bytes unchanged and in order', async () => {
    const events = ['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: [DONE]\n\n'];
    const raw = await rawResponse((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const writer = new TickCoalescingWriter(res);
      for (const e of events) writer.write(Buffer.from(e));
      setTimeout(() => writer.end(), 20);
    });
    expect(chunkSizes(raw)).toEqual([events.join('').length, 0]);
    expect(raw).toContain(events.join(''));
  });

  it('writes each tick on its own, without waiting for more', async () => {
    const raw = await rawResponse((res) => {
      res.writeHead(200);
      const writer = new TickCoalescingWriter(res);
      writer.write(Buffer.from('first'));
      setTimeout(() => {
        writer.write(Buffer.from('second!'));
        setTimeout(() => writer.end(), 10);
      }, 10);
    });
    expect(chunkSizes(raw)).toEqual([5, 7, 0]);
  });

  it('ends with the last chunks and the terminator together', async () => {
    const raw = await rawResponse((res) => {
      res.writeHead(200);
      const writer = new TickCoalescingWriter(res);
      writer.write(Buffer.from('tail'));
      writer.end();
    });
    expect(chunkSizes(raw)).toEqual([4, 0]);
  });

  it('says when the client socket is full, so the upstream can pause', async () => {
    let verdicts: boolean[] = [];
    await rawResponse((res) => {
      res.writeHead(200);
      const writer = new TickCoalescingWriter(res);
      verdicts = [writer.write(Buffer.alloc(10)), writer.write(Buffer.alloc(res.writableHighWaterMark))];
      writer.end();
    });
    expect(verdicts).toEqual([true, false]);
  });

  it('writes nothing to a response that is gone', async () => {
    let accepted = true;
    await rawResponse((res) => {
      res.writeHead(200);
      res.end('done');
      accepted = new TickCoalescingWriter(res).write(Buffer.from('late'));
    });
    expect(accepted).toBe(false);
  });
});
