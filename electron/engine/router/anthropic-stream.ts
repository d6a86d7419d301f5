import { anthropicError, anthropicErrorEvent } from './anthropic-error.js';
import { anthropicStop, anthropicUsage, toolUseId, UntranslatableAnswer, type AnthropicUsage } from './anthropic-response.js';

// The model server's OpenAI chat stream (SGLang's `chat.completion.chunk` events) as Anthropic
// Messages stream events. Pure: it takes each upstream `data:` payload and returns the SSE text to
// send. The status sink (anthropic-status-sink.ts) writes on the same stream first, so both share
// an AnthropicStreamState: whether `message_start` went out and which block index comes next.

type Json = Record<string, unknown>;

/** What has gone out on one Anthropic stream so far; the status sink and the answer's translator share it. */
export interface AnthropicStreamState {
  /** The message's id (`msg_…`), in message_start. */
  id: string;
  /** The model name the client asked for. */
  model: string;
  messageStarted: boolean;
  /** The index of the next content block. */
  nextIndex: number;
}

/** One SSE event of the Messages stream: the SDK needs the `event:` line, and reads the type from the data too. */
export function sseEvent(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** `message_start` unless it went out already (then ''). Input tokens are not known yet: message_delta brings them. */
export function messageStartOnce(state: AnthropicStreamState): string {
  if (state.messageStarted) return '';
  state.messageStarted = true;
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id: state.id, type: 'message', role: 'assistant', model: state.model, content: [], stop_reason: null, stop_sequence: null, usage };
  return sseEvent('message_start', { message });
}

type OpenBlock = { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; index: number; toolIndex: number };

/**
 * Translates one upstream chat stream: `content` → text blocks (`text_delta`), `reasoning_content` →
 * thinking blocks (`thinking_delta`), `tool_calls` → tool_use blocks (the first delta of a call, with
 * its id and name, opens the block; argument pieces are `input_json_delta`s), each kind change closing
 * the open block. The finish and usage chunks become `message_delta` (stop_reason, stop_sequence,
 * usage) and `message_stop` at `[DONE]`. An upstream error event, an aborted generation or a stream
 * that ends before its finish ends the stream with an Anthropic `error` event instead.
 */
export class AnthropicStreamTranslator {
  private open: OpenBlock | null = null;
  private finishReason: unknown = null;
  private matchedStop: unknown = null;
  private hasToolCalls = false;
  private upstreamUsage: unknown = null;
  private isEnded = false;
  private hasFailed = false;

  constructor(
    private readonly state: AnthropicStreamState,
    private readonly stopSequences: readonly string[],
  ) {}

  /** True once the stream's last event (message_stop or error) was produced. */
  get ended(): boolean {
    return this.isEnded;
  }

  /** True when the stream ended with an error event. */
  get failed(): boolean {
    return this.hasFailed;
  }

  /** The token counts the server reported (null until its usage chunk). */
  get usage(): AnthropicUsage | null {
    return this.upstreamUsage === null ? null : anthropicUsage(this.upstreamUsage);
  }

  /** One upstream `data:` payload (JSON or `[DONE]`); returns the events to send ('' for none). */
  push(data: string): string {
    if (this.isEnded) return '';
    if (data === '[DONE]') return this.finish();
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return '';
    }
    if (!isRecord(chunk)) return '';
    if (chunk.error !== undefined) return this.fail(errorMessage(chunk.error), errorStatus(chunk.error));
    let out = messageStartOnce(this.state);
    if (chunk.usage !== null && chunk.usage !== undefined) this.upstreamUsage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]).find((c) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
    if (!isRecord(choice)) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') out += this.appendText('thinking', delta.reasoning_content);
    if (typeof delta.content === 'string' && delta.content !== '') out += this.appendText('text', delta.content);
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls as unknown[]) if (isRecord(call)) out += this.appendToolCall(call);
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      this.finishReason = choice.finish_reason;
      this.matchedStop = choice.matched_stop ?? null;
    }
    return out;
  }

  /** The upstream body ended: '' when the stream is complete, else its closing events or an error event. */
  end(): string {
    if (this.isEnded) return '';
    // A server that sends no [DONE] after its finish still gave a whole answer.
    if (this.finishReason !== null) return this.finish();
    return this.fail('the model server stopped in the middle of the response');
  }

  /** An error event that ends the stream, typed by `status` (default: the upstream failed, 502 → api_error); '' once ended. */
  fail(message: string, status = 502): string {
    if (this.isEnded) return '';
    this.isEnded = true;
    this.hasFailed = true;
    return anthropicErrorEvent(anthropicError(status, message));
  }

  private finish(): string {
    if (this.finishReason === null) return this.fail('the model server ended the stream without a finish reason');
    let stop;
    try {
      stop = anthropicStop(this.finishReason, this.matchedStop, this.stopSequences, this.hasToolCalls);
    } catch (err) {
      if (err instanceof UntranslatableAnswer) return this.fail(err.message);
      throw err;
    }
    this.isEnded = true;
    const usage = this.usage ?? anthropicUsage(null);
    return messageStartOnce(this.state) + this.closeOpen() + sseEvent('message_delta', { delta: stop, usage }) + sseEvent('message_stop', {});
  }

  private appendText(kind: 'text' | 'thinking', text: string): string {
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.closeOpen();
      out += this.openBlock({ kind, index: this.state.nextIndex++ }, kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' });
    }
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + sseEvent('content_block_delta', { index: this.open!.index, delta });
  }

  /**
   * SGLang sends a call's id and name once, in its first delta (arguments ""), then argument pieces
   * with a null id and name, all with the call's `index` (serving_chat.py `_process_tool_call_stream`).
   */
  private appendToolCall(call: Json): string {
    this.hasToolCalls = true;
    const fn = isRecord(call.function) ? call.function : {};
    const toolIndex = typeof call.index === 'number' ? call.index : 0;
    let out = '';
    const isNewCall = (typeof fn.name === 'string' && fn.name !== '') || this.open?.kind !== 'tool' || this.open.toolIndex !== toolIndex;
    if (isNewCall) {
      out += this.closeOpen();
      const block = { type: 'tool_use', id: toolUseId(call.id), name: typeof fn.name === 'string' ? fn.name : '', input: {} };
      out += this.openBlock({ kind: 'tool', index: this.state.nextIndex++, toolIndex }, block);
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      out += sseEvent('content_block_delta', { index: this.open!.index, delta: { type: 'input_json_delta', partial_json: fn.arguments } });
    }
    return out;
  }

  private openBlock(block: OpenBlock, contentBlock: Json): string {
    this.open = block;
    return sseEvent('content_block_start', { index: block.index, content_block: contentBlock });
  }

  private closeOpen(): string {
    if (!this.open) return '';
    const { index } = this.open;
    this.open = null;
    return sseEvent('content_block_stop', { index });
  }
}

function errorMessage(error: unknown): string {
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : JSON.stringify(error);
  return `the model server reported an error: ${message}`;
}

/** SGLang's stream errors carry their HTTP code (400 for a prompt longer than the context). */
function errorStatus(error: unknown): number {
  const code = isRecord(error) ? Number(error.code) : NaN;
  return Number.isInteger(code) && code >= 400 && code < 600 ? code : 502;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
