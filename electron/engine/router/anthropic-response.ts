import { randomBytes } from 'node:crypto';

// The model server's OpenAI chat answer (SGLang's `chat.completion`) as an Anthropic `message`,
// and the pieces the stream translator shares with it: stop reasons, usage, tool input. Pure.

type Json = Record<string, unknown>;

/** The usage of an Anthropic message (the counters its SDK reads; cache creation never happens here). */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** Anthropic `stop_reason` and `stop_sequence` of an OpenAI finish. */
export interface AnthropicStop {
  stop_reason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';
  stop_sequence: string | null;
}

/** Thrown for an answer that has no Anthropic form (an aborted generation, a body without choices). */
export class UntranslatableAnswer extends Error {
  override readonly name = 'UntranslatableAnswer';
}

/** `msg_…` from the server's id (SGLang: a bare uuid hex), a random one when it has none. */
export function anthropicMessageId(upstreamId: unknown): string {
  return `msg_${typeof upstreamId === 'string' && upstreamId !== '' ? upstreamId : randomBytes(12).toString('hex')}`;
}

/**
 * stop → `end_turn`, or `stop_sequence` when SGLang's `matched_stop` (the stop string or token id that
 * ended it) is one of the client's stop_sequences; length → `max_tokens`; tool_calls (or any finish
 * with tool calls) → `tool_use`. `abort` has no Anthropic counterpart: UntranslatableAnswer.
 */
export function anthropicStop(finishReason: unknown, matchedStop: unknown, stopSequences: readonly string[], hasToolCalls: boolean): AnthropicStop {
  if (finishReason === 'abort') throw new UntranslatableAnswer('the model server aborted the generation');
  if (hasToolCalls || finishReason === 'tool_calls') return { stop_reason: 'tool_use', stop_sequence: null };
  if (finishReason === 'length') return { stop_reason: 'max_tokens', stop_sequence: null };
  if (typeof matchedStop === 'string' && stopSequences.includes(matchedStop)) return { stop_reason: 'stop_sequence', stop_sequence: matchedStop };
  return { stop_reason: 'end_turn', stop_sequence: null };
}

/** OpenAI usage → Anthropic: cached prompt tokens (`prompt_tokens_details.cached_tokens`) count as cache reads, not input. */
export function anthropicUsage(usage: unknown): AnthropicUsage {
  const u = isRecord(usage) ? usage : {};
  const prompt = count(u.prompt_tokens);
  const cached = Math.min(prompt, count(isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details.cached_tokens : 0));
  return { input_tokens: prompt - cached, output_tokens: count(u.completion_tokens), cache_creation_input_tokens: 0, cache_read_input_tokens: cached };
}

/**
 * A tool call's arguments as the `input` object of a tool_use block. Models do produce broken JSON
 * now and then: rather than fail the whole answer, such text (or JSON that is no object) is passed on
 * as `{"arguments": "<the text>"}`, which the client's tool validation reports to the model.
 */
export function toolInputOf(args: unknown): Json {
  if (isRecord(args)) return args;
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isRecord(parsed)) return parsed;
  } catch {
    // not JSON: passed on below
  }
  return { arguments: args };
}

/**
 * A non-streaming `chat.completion` as an Anthropic `message`: reasoning_content → a thinking block,
 * content → a text block, tool_calls → tool_use blocks (the server's call id kept: the client sends
 * it back as tool_use_id), finish → stop_reason, usage → usage. `model` is the name the client asked for.
 */
export function translateChatCompletion(completion: unknown, requestModel: string, stopSequences: readonly string[]): Json {
  const choice = isRecord(completion) && Array.isArray(completion.choices) ? (completion.choices[0] as unknown) : undefined;
  if (!isRecord(choice) || !isRecord(choice.message)) throw new UntranslatableAnswer('the model server answered without a choice');
  const message = choice.message;
  const content: Json[] = [];
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]).filter(isRecord) : [];
  for (const call of calls) {
    const fn = isRecord(call.function) ? call.function : {};
    content.push({ type: 'tool_use', id: toolUseId(call.id), name: String(fn.name ?? ''), input: toolInputOf(fn.arguments) });
  }
  const stop = anthropicStop(choice.finish_reason, choice.matched_stop, stopSequences, calls.length > 0);
  return {
    id: anthropicMessageId((completion as Json).id),
    type: 'message',
    role: 'assistant',
    model: requestModel,
    content,
    ...stop,
    usage: anthropicUsage((completion as Json).usage),
  };
}

/** The server's tool call id (SGLang: `call_<24 hex>`), or a fresh `toolu_…` when it sent none. */
export function toolUseId(id: unknown): string {
  return typeof id === 'string' && id !== '' ? id : `toolu_${randomBytes(12).toString('hex')}`;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
