// The model's token counts, read from the end of its answer without parsing the whole body: OpenAI
// servers put `usage` last — in a JSON answer after `choices`, in a stream in the last chunk before
// `[DONE]` (SGLang sends it only with `stream_options.include_usage`; every other chunk says
// `"usage":null`). The forwarder keeps references to the last chunks (no copies) and reads them once,
// at the end.

/** How much of the answer's end is kept: a usage object with its details fits many times over. */
export const USAGE_TAIL_BYTES = 8 * 1024;

/** The last chunks of a body, at least USAGE_TAIL_BYTES of them when there are that many; references only. */
export class UsageTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0]!.length >= USAGE_TAIL_BYTES) this.bytes -= this.chunks.shift()!.length;
  }

  /** The token counts of the last `usage` object in the kept text; nulls when there is none (or it is null). */
  usage(): { promptTokens: number | null; completionTokens: number | null } {
    if (this.bytes === 0) return NO_USAGE;
    const text = (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)).toString('utf8', Math.max(0, this.bytes - USAGE_TAIL_BYTES * 2));
    return readUsage(text);
  }
}

const NO_USAGE = { promptTokens: null, completionTokens: null };

/**
 * The counts of the last `"usage": {…}` in `text` (a quote inside a JSON string is escaped, so a
 * message that talks about usage does not match). Nulls when the last one is `null` or absent.
 */
export function readUsage(text: string): { promptTokens: number | null; completionTokens: number | null } {
  const at = lastKey(text, '"usage"');
  if (at < 0) return NO_USAGE;
  const rest = text.slice(at + 7, at + 7 + 2048);
  const open = /^\s*:\s*\{/.exec(rest);
  if (!open) return NO_USAGE;
  const body = rest.slice(open[0].length);
  return { promptTokens: countOf(body, 'prompt_tokens'), completionTokens: countOf(body, 'completion_tokens') };
}

/** The last index of `key` not preceded by a backslash (a key, not text inside a string). */
function lastKey(text: string, key: string): number {
  let at = text.lastIndexOf(key);
  while (at > 0 && text[at - 1] === '\\') at = text.lastIndexOf(key, at - 1);
  return at;
}

function countOf(body: string, name: string): number | null {
  const match = new RegExp(`(?<!\\\\)"${name}"\\s*:\\s*(\\d+)`).exec(body);
  return match ? Number(match[1]) : null;
}
