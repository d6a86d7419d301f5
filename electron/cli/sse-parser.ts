/** One Server-Sent Event as the WHATWG spec dispatches it. */
export interface SseEvent {
  /** `message` when the stream gave no `event:` field. */
  event: string;
  data: string;
  id?: string;
}

interface PendingEvent {
  event: string;
  data: string[];
  id?: string;
}

/**
 * Reads SSE events out of a byte stream (the HTML spec's parsing rules, minus `retry`).
 * Comments (`: keepalive`) are skipped; a trailing event without its blank line is not dispatched.
 */
export async function* readSseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const pending: PendingEvent = { event: '', data: [] };
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    // A final '\r' may be the first half of '\r\n' split across chunks: wait for the next chunk.
    const cut = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
    buffer = lines.pop()! + buffer.slice(cut);
    yield* consumeLines(pending, lines);
  }
  if (buffer.endsWith('\r')) yield* consumeLines(pending, buffer.split(/\r\n|\r|\n/).slice(0, -1));
}

function* consumeLines(pending: PendingEvent, lines: string[]): Generator<SseEvent> {
  for (const line of lines) {
    if (line !== '') {
      applyField(pending, line);
      continue;
    }
    if (pending.data.length > 0) yield toEvent(pending);
    Object.assign(pending, { event: '', data: [], id: undefined });
  }
}

function applyField(pending: PendingEvent, line: string): void {
  if (line.startsWith(':')) return;
  const colon = line.indexOf(':');
  const field = colon === -1 ? line : line.slice(0, colon);
  const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
  if (field === 'event') pending.event = value;
  else if (field === 'data') pending.data.push(value);
  else if (field === 'id') pending.id = value;
}

function toEvent(pending: PendingEvent): SseEvent {
  return { event: pending.event || 'message', data: pending.data.join('\n'), ...(pending.id !== undefined ? { id: pending.id } : {}) };
}
