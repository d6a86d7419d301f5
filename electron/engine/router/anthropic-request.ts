import { openAiError, RouterError } from './openai-error.js';
import { stripStatusText } from './status-text.js';

// The Anthropic Messages API request, checked and translated into the OpenAI chat request the
// model servers (SGLang) take. Pure: no I/O; errors are RouterErrors (400) in the router's
// OpenAI-shaped body, which the Anthropic route answers in Anthropic's shape.

type Json = Record<string, unknown>;

/** A Messages API request, validated and translated for the model server's `/v1/chat/completions`. */
export interface TranslatedMessagesRequest {
  /** The model name as the client sent it (echoed as the message's `model`). */
  requestModel: string;
  stream: boolean;
  /** The client's `stop_sequences`: a `matched_stop` among them is a `stop_sequence` stop. */
  stopSequences: string[];
  /** The OpenAI chat request; `model` is still the client's name. */
  chat: Json;
}

/**
 * Checks a parsed Messages API body and translates it:
 * - `system` (string or text blocks) → a leading system message;
 * - user turns: text and image blocks (base64 → data: URL, url) → content (a string when text only);
 *   `tool_result` blocks → `role: tool` messages (with `tool_call_id`) before the turn's other
 *   content, their images moved into that content (a tool message carries text only);
 * - assistant turns: text → content with the router's status text stripped, `tool_use` →
 *   `tool_calls`, thinking blocks dropped (the template renders no past thinking);
 * - `max_tokens` (required unless `forCount`), `stop_sequences` → `stop`, `temperature`, `top_p`,
 *   `top_k`, `tools` (input_schema → function parameters), `tool_choice` (auto, any → required,
 *   tool → named, none), `thinking` → `chat_template_kwargs` enable_thinking/thinking (Qwen3,
 *   DeepSeek templates; others ignore them); `metadata` and unknown fields are ignored.
 * Streams ask for usage (`stream_options.include_usage`): the message's token counts come from it.
 */
export function translateMessagesRequest(input: unknown, opts: { forCount?: boolean } = {}): TranslatedMessagesRequest {
  if (!isRecord(input)) throw invalid('request body must be a JSON object');
  const { model, messages, system } = input;
  if (typeof model !== 'string' || model === '') throw invalid('"model" is required: one of the ids in GET /v1/models', 'model');
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('"messages" must be a non-empty array of {role, content}', 'messages');
  const chat: Json = { model };
  const out: Json[] = [];
  const systemText = translateSystem(system);
  if (systemText !== undefined) out.push({ role: 'system', content: systemText });
  messages.forEach((message, i) => out.push(...translateMessage(message, `messages[${i}]`)));
  chat.messages = stripStatusText(out).messages;
  if (!opts.forCount) {
    const maxTokens = input.max_tokens;
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) throw invalid('"max_tokens" is required: a whole number of at least 1', 'max_tokens');
    chat.max_tokens = maxTokens;
  }
  const stream = input.stream === true;
  if (input.stream !== undefined && typeof input.stream !== 'boolean') throw invalid('"stream" must be a boolean', 'stream');
  if (stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  const stopSequences = translateStopSequences(input.stop_sequences);
  if (stopSequences.length > 0) chat.stop = stopSequences;
  for (const key of ['temperature', 'top_p', 'top_k'] as const) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`"${key}" must be a number`, key);
    chat[key] = value;
  }
  const tools = translateTools(input.tools);
  if (tools.length > 0) {
    chat.tools = tools;
    const choice = translateToolChoice(input.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
  }
  const thinking = translateThinking(input.thinking);
  if (thinking) chat.chat_template_kwargs = thinking;
  return { requestModel: model, stream, stopSequences, chat };
}

/**
 * The text of a translated chat request, for counting its tokens with the server's tokenizer: every
 * message's text, tool calls and tool results, and the tool definitions. The chat template's own
 * tokens (role headers, the tools preamble) are not in it, so a count from it is an estimate.
 */
export function promptTextOf(chat: Json): string {
  const parts: string[] = [];
  for (const message of (chat.messages as Json[] | undefined) ?? []) {
    const { content } = message;
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) for (const part of content as Json[]) if (typeof part.text === 'string') parts.push(part.text);
    for (const call of (message.tool_calls as { function: { name: string; arguments: string } }[] | undefined) ?? []) parts.push(call.function.name, call.function.arguments);
  }
  if (Array.isArray(chat.tools)) parts.push(JSON.stringify(chat.tools));
  return parts.join('\n');
}

function translateSystem(system: unknown): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system === '' ? undefined : system;
  if (!Array.isArray(system)) throw invalid('"system" must be a string or an array of text blocks', 'system');
  const texts = system.map((block, i) => {
    if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') throw invalid(`system[${i}] must be a text block {type: "text", text}`, 'system');
    return block.text;
  });
  return texts.length > 0 ? texts.join('\n\n') : undefined;
}

function translateMessage(message: unknown, where: string): Json[] {
  if (!isRecord(message)) throw invalid(`${where} must be an object {role, content}`, 'messages');
  const { role, content } = message;
  if (role !== 'user' && role !== 'assistant') throw invalid(`${where}.role must be "user" or "assistant"; got ${JSON.stringify(role)}`, 'messages');
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) throw invalid(`${where}.content must be a string or an array of content blocks`, 'messages');
  const blocks = content.map((block, i) => {
    if (!isRecord(block) || typeof block.type !== 'string') throw invalid(`${where}.content[${i}] must be a content block with a "type"`, 'messages');
    return block;
  });
  return role === 'user' ? translateUserBlocks(blocks, where) : [translateAssistantBlocks(blocks, where)];
}

/** OpenAI content parts: text or image_url. */
type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

function translateUserBlocks(blocks: Json[], where: string): Json[] {
  const toolMessages: Json[] = [];
  const parts: Part[] = [];
  blocks.forEach((block, i) => {
    const at = `${where}.content[${i}]`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: textOf(block, at) });
        return;
      case 'image':
        parts.push(imagePart(block, at));
        return;
      case 'tool_result': {
        if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '') throw invalid(`${at}.tool_use_id is required`, 'messages');
        const result = toolResultOf(block.content, at);
        toolMessages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: result.text });
        parts.push(...result.images);
        return;
      }
      default:
        throw unsupportedBlock(block.type as string, at);
    }
  });
  const hasImages = parts.some((p) => p.type === 'image_url');
  if (parts.length === 0) return toolMessages.length > 0 ? toolMessages : [{ role: 'user', content: '' }];
  const content = hasImages ? parts : parts.map((p) => (p as { text: string }).text).join('\n\n');
  return [...toolMessages, { role: 'user', content }];
}

function translateAssistantBlocks(blocks: Json[], where: string): Json {
  const texts: string[] = [];
  const toolCalls: Json[] = [];
  blocks.forEach((block, i) => {
    const at = `${where}.content[${i}]`;
    switch (block.type) {
      case 'text':
        texts.push(textOf(block, at));
        return;
      case 'tool_use': {
        if (typeof block.id !== 'string' || typeof block.name !== 'string') throw invalid(`${at} must have an "id" and a "name"`, 'messages');
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        return;
      }
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw unsupportedBlock(block.type as string, at);
    }
  });
  const message: Json = { role: 'assistant', content: texts.join('\n\n') };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function toolResultOf(content: unknown, at: string): { text: string; images: Part[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw invalid(`${at}.content must be a string or an array of text and image blocks`, 'messages');
  const texts: string[] = [];
  const images: Part[] = [];
  content.forEach((block, i) => {
    const inner = `${at}.content[${i}]`;
    if (isRecord(block) && block.type === 'text') texts.push(textOf(block, inner));
    else if (isRecord(block) && block.type === 'image') images.push(imagePart(block, inner));
    else throw unsupportedBlock(isRecord(block) ? String(block.type) : typeof block, inner);
  });
  return { text: texts.join('\n\n'), images };
}

function textOf(block: Json, at: string): string {
  if (typeof block.text !== 'string') throw invalid(`${at}.text must be a string`, 'messages');
  return block.text;
}

function imagePart(block: Json, at: string): Part {
  const source = block.source;
  if (isRecord(source) && source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (isRecord(source) && source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  throw invalid(`${at}.source must be {type: "base64", media_type, data} or {type: "url", url} (file sources are not supported)`, 'messages');
}

function translateStopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw invalid('"stop_sequences" must be an array of strings', 'stop_sequences');
  return value as string[];
}

function translateTools(value: unknown): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('"tools" must be an array', 'tools');
  return value.map((tool, i) => {
    if (!isRecord(tool)) throw invalid(`tools[${i}] must be an object`, 'tools');
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw invalid(`tools[${i}]: tool type "${String(tool.type)}" is not supported (only client tools with an input_schema)`, 'tools');
    }
    if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`tools[${i}].name is required`, 'tools');
    if (!isRecord(tool.input_schema)) throw invalid(`tools[${i}].input_schema must be a JSON schema object`, 'tools');
    const fn: Json = { name: tool.name, parameters: tool.input_schema };
    if (typeof tool.description === 'string') fn.description = tool.description;
    return { type: 'function', function: fn };
  });
}

function translateToolChoice(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid('"tool_choice" must be an object {type}', 'tool_choice');
  switch (value.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      if (typeof value.name !== 'string' || value.name === '') throw invalid('"tool_choice" of type "tool" needs a "name"', 'tool_choice');
      return { type: 'function', function: { name: value.name } };
  }
  throw invalid(`"tool_choice.type" must be auto, any, tool or none; got ${JSON.stringify(value.type)}`, 'tool_choice');
}

/** `thinking` on or off, in the template switches of the reasoning models SGLang parses (Qwen3/GLM: enable_thinking, DeepSeek-V3.1: thinking). */
function translateThinking(value: unknown): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid('"thinking" must be an object {type}', 'thinking');
  if (value.type === 'enabled') return { enable_thinking: true, thinking: true };
  if (value.type === 'disabled') return { enable_thinking: false, thinking: false };
  // "adaptive" and newer kinds: the model's own default.
  return undefined;
}

function unsupportedBlock(type: string, at: string): RouterError {
  return invalid(`${at}: content block type "${type}" is not supported here (text, image, tool_use, tool_result, thinking)`, 'messages');
}

function invalid(message: string, param: string | null = null): RouterError {
  return new RouterError(400, openAiError(message, 'invalid_request_error', 'invalid_request', param));
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
