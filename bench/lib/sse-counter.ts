// Minimal SSE accounting for the load generator: count `data: ` events, time the first content token,
// see `[DONE]` and error events. No JSON parsing. Both servers end events with "\n\n".

const QUOTE = 0x22;
const CONTENT_KEY = '"content":"';

export class SseCounter {
  /** `data: ` events received. */
  events = 0;
  /** ms from request start to the first event with non-empty `content`; null until then. */
  firstContentMs: number | null = null;
  done = false;
  errorEvent: string | null = null;
  /** The unfinished event after the last "\n\n" (latin1: one char per byte, ASCII markers intact). */
  private carry = '';

  constructor(private readonly startMs: number) {}

  push(chunk: Buffer): void {
    const text = this.carry === '' ? chunk.toString('latin1') : this.carry + chunk.toString('latin1');
    let start = 0;
    for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n', start)) {
      this.event(text, start, end);
      start = end + 2;
    }
    this.carry = start === 0 ? text : text.slice(start);
  }

  private event(text: string, start: number, end: number): void {
    if (!text.startsWith('data: ', start)) return;
    this.events++;
    const data = start + 6;
    if (this.firstContentMs === null && this.hasContent(text, data, end)) this.firstContentMs = performance.now() - this.startMs;
    if (text.startsWith('[DONE]', data)) this.done = true;
    else if (text.startsWith('{"error"', data)) this.errorEvent = text.slice(data, Math.min(end, data + 300));
  }

  /** `"content":"` followed by something other than the closing quote (the role chunk has `""`). */
  private hasContent(text: string, from: number, end: number): boolean {
    const at = text.indexOf(CONTENT_KEY, from);
    return at !== -1 && at < end && text.charCodeAt(at + CONTENT_KEY.length) !== QUOTE;
  }
}
