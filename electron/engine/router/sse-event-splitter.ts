const LF = 0x0a;
const CR = 0x0d;

/**
 * An upstream that never sends a blank line must not grow the buffer without bound; past this the
 * partial event is passed on as is (the bytes still reach the client unchanged).
 */
const MAX_PARTIAL_BYTES = 16 * 1024 * 1024;

/**
 * Incremental splitter of a `text/event-stream` byte stream into raw events.
 *
 * Each returned Buffer is one event exactly as received, including the blank line that ends it, so
 * concatenating every output of `push` and `flush` reproduces the input byte for byte. Lines may end in
 * `\n`, `\r\n` or `\r` (SSE spec); an event ends at the first empty line. An event lying wholly inside
 * one chunk is returned as a `subarray` of it (no copy); only events spanning chunks are concatenated.
 * Partial events keep references to the pushed chunks, so callers must not reuse chunk memory.
 */
export class SseEventSplitter {
  /** Pieces of the unfinished event, from earlier chunks. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** No byte of the current line seen yet. */
  private isLineEmpty = true;
  /** The last byte seen was a CR: it ended a line, and a following LF belongs to the same line ending. */
  private isAfterCr = false;
  /** That CR ended an empty line, so the event is over once we know whether an LF follows. */
  private isEventEndPending = false;
  /** The stream has used a bare CR line ending, so a chunk ending in CR need not wait for an LF. */
  private hasBareCr = false;

  /** Feeds a chunk; returns the events it completed, in order. */
  push(input: Buffer | Uint8Array): Buffer[] {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const events: Buffer[] = [];
    const n = chunk.length;
    let start = 0;
    let i = 0;
    let nextLf = -1;
    let nextCr = -1;
    const cut = (end: number): void => {
      events.push(this.take(chunk, start, end));
      start = end;
    };

    while (i < n) {
      if (this.isAfterCr) {
        this.isAfterCr = false;
        const isCrLf = chunk[i] === LF;
        if (isCrLf) i++;
        else this.hasBareCr = true;
        if (this.isEventEndPending) {
          this.isEventEndPending = false;
          cut(i);
        }
        if (isCrLf) continue;
      }
      // Jump to the next line ending with native searches, each remembered until passed.
      if (nextLf < i) nextLf = indexOrEnd(chunk, LF, i);
      if (nextCr < i) nextCr = indexOrEnd(chunk, CR, i);
      const end = Math.min(nextLf, nextCr);
      if (end > i) {
        this.isLineEmpty = false;
        i = end;
        if (i === n) break;
      }
      const wasLineEmpty = this.isLineEmpty;
      this.isLineEmpty = true;
      if (chunk[i++] === LF) {
        if (wasLineEmpty) cut(i);
      } else {
        this.isAfterCr = true;
        this.isEventEndPending = wasLineEmpty;
      }
    }

    // A blank line ended by CR at the very end: in a CRLF stream its LF is still to come, but a stream
    // known to use bare CRs would otherwise hold every event until the next chunk arrives.
    if (this.isEventEndPending && this.hasBareCr) {
      this.isEventEndPending = false;
      cut(n);
    }
    if (start < n) this.keep(chunk.subarray(start));
    if (this.partialBytes > MAX_PARTIAL_BYTES) events.push(this.takePartial());
    return events;
  }

  /** Returns the unfinished trailing event, if any (call at end of stream). */
  flush(): Buffer[] {
    this.isLineEmpty = true;
    this.isAfterCr = false;
    this.isEventEndPending = false;
    return this.partialBytes > 0 ? [this.takePartial()] : [];
  }

  /** The event made of the kept pieces plus `chunk[start, end)`. */
  private take(chunk: Buffer, start: number, end: number): Buffer {
    if (this.partial.length === 0) return chunk.subarray(start, end);
    if (end > start) this.keep(chunk.subarray(start, end));
    return this.takePartial();
  }

  private keep(piece: Buffer): void {
    this.partial.push(piece);
    this.partialBytes += piece.length;
  }

  private takePartial(): Buffer {
    const event = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial, this.partialBytes);
    this.partial = [];
    this.partialBytes = 0;
    return event;
  }
}

function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? chunk.length : at;
}

const LINE_BREAK = /\r\n|\r|\n/;

/** The event's `data` field: its `data:` lines joined with `\n`, or null when it has none (comments, `event:` only). */
export function parseSseData(event: Buffer): string | null {
  const text = event.toString('utf8');
  // Fast path, the shape every OpenAI-style server sends: one `data: ...` line and its blank line.
  if (text.startsWith('data:')) {
    const body = trimLineEndings(text);
    if (!hasLineBreak(body)) return fieldValue(body, 5);
  }
  let data: string | null = null;
  for (const line of text.split(LINE_BREAK)) {
    if (line === '' || line.charCodeAt(0) === 0x3a /* ':' comment */) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    if (name !== 'data') continue;
    const value = colon === -1 ? '' : fieldValue(line, colon + 1);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}

/**
 * The event with its data lines replaced by one `data: <data>` line (at the place of the first one),
 * keeping its other lines, line-ending style and terminating blank line. `data` must not contain line breaks.
 */
export function replaceSseData(event: Buffer, data: string): Buffer {
  const text = event.toString('utf8');
  const body = trimLineEndings(text);
  const ending = text.slice(body.length);
  if (body.startsWith('data:') && !hasLineBreak(body)) return Buffer.from(`data: ${data}${ending}`, 'utf8');
  const eol = body.match(LINE_BREAK)?.[0] ?? '\n';
  const lines: string[] = [];
  let isDataWritten = false;
  for (const line of body.split(LINE_BREAK)) {
    const isData = line === 'data' || line.startsWith('data:');
    if (!isData) lines.push(line);
    else if (!isDataWritten) {
      lines.push(`data: ${data}`);
      isDataWritten = true;
    }
  }
  if (!isDataWritten) lines.push(`data: ${data}`);
  return Buffer.from(lines.join(eol) + ending, 'utf8');
}

/** The value after a field's colon, without the one optional leading space. */
function fieldValue(line: string, from: number): string {
  return line.charCodeAt(from) === 0x20 ? line.slice(from + 1) : line.slice(from);
}

function trimLineEndings(text: string): string {
  let end = text.length;
  while (end > 0) {
    const code = text.charCodeAt(end - 1);
    if (code !== LF && code !== CR) break;
    end--;
  }
  return text.slice(0, end);
}

function hasLineBreak(text: string): boolean {
  return text.includes('\n') || text.includes('\r');
}
