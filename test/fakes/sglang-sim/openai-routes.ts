// /v1/chat/completions and /v1/completions with SGLang 0.5.3's exact JSON layouts and SSE order.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens, EOS_TOKEN_ID } from './generate-text.js';
import {
  fieldMissingRepr,
  isJsonContentType,
  jsonInvalidRepr,
  openaiErrorBody,
  parseJsonObject,
  pyJsonDumps,
  readBody,
  sendJson,
  sendOpenaiError,
  sendValidationError,
  startSse,
  UNSUPPORTED_MEDIA_TYPE,
  uuidHex,
  writeSse,
} from './http-io.js';
import type { EngineOutput, Finish } from './scheduler.js';
import type { SimApp } from './sim-context.js';
import { readInteger, readStop, submitUserRequest } from './submit-request.js';
import { planToolCall, toolChoiceError, toolsInPrompt, type PlannedToolCall } from './tool-calls.js';

type Body = Record<string, unknown>;

const nowS = () => Math.floor(Date.now() / 1000);

/** Reads and validates the JSON body; sends the 400 and returns undefined when invalid. */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, required: string): Promise<Body | undefined> {
  const text = await readBody(req);
  if (!isJsonContentType(req)) return void sendValidationError(res, UNSUPPORTED_MEDIA_TYPE);
  const body = parseJsonObject(text);
  if (!body) return void sendValidationError(res, jsonInvalidRepr());
  if (!(required in body)) return void sendValidationError(res, fieldMissingRepr(required, body));
  return body;
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part === 'object' && typeof (part as Body).text === 'string' ? (part as Body).text : '')).join('');
}

/** Llama-3-style chat template overhead: system header + 5 tokens per message; the tools' JSON when the template gets them. */
function chatPromptTokens(messages: readonly unknown[], tools: unknown[] | null): { text: string; tokens: number } {
  const texts = messages.map((message) => messageText((message as Body | null)?.content));
  const toolTokens = tools ? countPromptTokens(JSON.stringify(tools)) : 0;
  return { text: texts.join('\n'), tokens: 31 + toolTokens + texts.reduce((sum, text) => sum + 5 + countPromptTokens(text), 0) };
}

/** Engine-side length checks; returns the error message or undefined. */
function checkContext(app: SimApp, promptTokens: number, maxTokens: number | null): string | undefined {
  const limit = app.contextLen;
  if (promptTokens >= limit) return `The input (${promptTokens} tokens) is longer than the model's context length (${limit} tokens).`;
  if (maxTokens !== null && promptTokens + maxTokens >= limit) {
    return (
      `Requested token count exceeds the model's maximum context length of ${limit} tokens. You requested a total of ` +
      `${promptTokens + maxTokens} tokens: ${promptTokens} tokens from the input messages and ${maxTokens} tokens for the completion. ` +
      'Please reduce the number of tokens in the input messages or the completion to fit within the limit.'
    );
  }
  return undefined;
}

function finishFields(finish: Finish | null): { finish_reason: string | null; matched_stop: number | string | null } {
  if (finish === null) return { finish_reason: null, matched_stop: null };
  return { finish_reason: finish.type, matched_stop: finish.type === 'stop' ? finish.matched : null };
}

function usage(promptTokens: number, completionTokens: number): Record<string, unknown> {
  return { prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens, completion_tokens: completionTokens, prompt_tokens_details: null, reasoning_tokens: 0 };
}

/** Stream error after the 200 (json.dumps spacing), then [DONE]. */
function streamError(res: ServerResponse, message: string): void {
  startSse(res);
  writeSse(res, pyJsonDumps({ error: openaiErrorBody(message, 'BadRequestError', 400) }));
  writeSse(res, '[DONE]');
  res.end();
}

export async function handleChatCompletions(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, res, 'messages');
  if (!body) return;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if (messages.length === 0) return sendOpenaiError(res, 400, 'Messages cannot be empty.');
  const maxTokens = readInteger(body.max_completion_tokens) ?? readInteger(body.max_tokens);
  const userContextLength = app.args.num('context_length');
  if (userContextLength !== null && maxTokens !== null && maxTokens > userContextLength) {
    return sendOpenaiError(res, 400, `max_completion_tokens is too large: ${maxTokens}.This model supports at most ${userContextLength} completion tokens.`);
  }
  const choiceError = toolChoiceError(body);
  if (choiceError) return sendOpenaiError(res, 400, choiceError);
  const prompt = chatPromptTokens(messages, toolsInPrompt(body) ? (body.tools as unknown[]) : null);
  const stream = body.stream === true;
  const contextError = checkContext(app, prompt.tokens, maxTokens);
  if (contextError) return stream ? streamError(res, contextError) : sendOpenaiError(res, 400, contextError);
  const id = typeof body.rid === 'string' ? body.rid : uuidHex();
  const model = typeof body.model === 'string' ? body.model : 'default';
  const includeUsage = (body.stream_options as Body | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], usageValue: unknown = null) => ({ id, object: 'chat.completion.chunk', created: nowS(), model, choices, usage: usageValue });
  const delta = (role: string | null, content: string | null) => ({ role, content, reasoning_content: null, tool_calls: null });
  const call = planToolCall(app.args.str('tool_call_parser'), body, messages);
  if (call) return submitToolCall(app, res, { id, model, call, prompt, maxTokens, stream, includeUsage });
  if (stream) startSse(res);
  let first = true;
  const onOutput = (output: EngineOutput) => {
    if (!stream) {
      if (output.finish === null || res.destroyed) return;
      const message = { role: 'assistant', content: output.text === '' ? null : output.text, reasoning_content: null, tool_calls: null };
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: nowS(),
        model,
        choices: [{ index: 0, message, logprobs: null, ...finishFields(output.finish) }],
        usage: usage(prompt.tokens, output.completionTokens),
        metadata: { weight_version: app.args.str('weight_version') },
      });
      return;
    }
    if (first) {
      first = false;
      writeSse(res, chunk([{ index: 0, delta: delta('assistant', ''), logprobs: null, finish_reason: null, matched_stop: null }]));
    }
    if (output.delta !== '') writeSse(res, chunk([{ index: 0, delta: delta(null, output.delta), logprobs: null, finish_reason: null, matched_stop: null }]));
    if (output.finish === null) return;
    writeSse(res, chunk([{ index: 0, delta: delta(null, null), logprobs: null, ...finishFields(output.finish) }]));
    if (includeUsage) writeSse(res, chunk([], usage(prompt.tokens, output.completionTokens)));
    writeSse(res, '[DONE]');
    res.end();
  };
  submitUserRequest(app, res, {
    rid: id,
    promptText: prompt.text,
    promptTokens: prompt.tokens,
    maxNewTokens: maxTokens,
    ignoreEos: body.ignore_eos === true,
    stop: readStop(body.stop),
    stream,
    onOutput,
  });
}

/**
 * The fake model spells a tool call (tool-calls.ts), one token per entry of `call.tokens`, then EOS;
 * the scheduler runs it like any request (batching, timing, aborts) and its own words are ignored.
 * Shapes as SGLang 0.5.3.post1's serving_chat.py: streamed, the call's first delta carries its id,
 * name and `arguments: ""` (`_process_tool_call_stream`: the id only when `call_item.name` is set),
 * later ones `id: null`, `name: null` and an argument piece, all with `index` 0; the finish chunk
 * says `tool_calls` (a stop with tool calls) and keeps `matched_stop` (the EOS id). Not streamed:
 * `content: null`, `tool_calls` with the full arguments, `finish_reason: "tool_calls"`,
 * `matched_stop: null` (`_process_tool_calls`). Cut by max_tokens: a `length` finish; the parser then
 * finds no whole call, so the partial text is the content (simplified: SGLang also sends `tool_calls: []`).
 */
function submitToolCall(
  app: SimApp,
  res: ServerResponse,
  r: { id: string; model: string; call: PlannedToolCall; prompt: { text: string; tokens: number }; maxTokens: number | null; stream: boolean; includeUsage: boolean },
): void {
  const { call, stream } = r;
  const eosAt = call.tokens.length + 1;
  const chunk = (choices: unknown[], usageValue: unknown = null) => ({ id: r.id, object: 'chat.completion.chunk', created: nowS(), model: r.model, choices, usage: usageValue });
  const toolDelta = (toolCall: unknown) => ({ role: null, content: null, reasoning_content: null, tool_calls: [toolCall] });
  if (stream) {
    startSse(res);
    writeSse(res, chunk([{ index: 0, delta: { role: 'assistant', content: '', reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: null, matched_stop: null }]));
  }
  const onOutput = (output: EngineOutput) => {
    const step = output.completionTokens;
    // The last planned step is the EOS token (the scheduler was told to ignore its own EOS).
    const isComplete = step >= eosAt && output.finish?.type !== 'abort';
    const finish: Finish | null = isComplete ? { type: 'stop', matched: EOS_TOKEN_ID } : output.finish;
    if (stream && step <= call.tokens.length) {
      const first = { id: call.id, index: 0, type: 'function', function: { name: call.name, arguments: '' } };
      const piece = { id: null, index: 0, type: 'function', function: { name: null, arguments: call.tokens[step - 1] } };
      writeSse(res, chunk([{ index: 0, delta: toolDelta(step === 1 ? first : piece), logprobs: null, finish_reason: null, matched_stop: null }]));
    }
    if (finish === null || res.destroyed) return;
    const reason = finish.type === 'stop' ? 'tool_calls' : finish.type;
    if (stream) {
      writeSse(res, chunk([{ index: 0, delta: { role: null, content: null, reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: reason, ...matchedOf(finish) }]));
      if (r.includeUsage) writeSse(res, chunk([], usage(r.prompt.tokens, step)));
      writeSse(res, '[DONE]');
      res.end();
      return;
    }
    const toolCalls = isComplete ? [{ id: call.id, index: call.index, type: 'function', function: { name: call.name, arguments: call.arguments } }] : null;
    const partial = call.tokens.slice(0, Math.min(step, call.tokens.length)).join('');
    const message = { role: 'assistant', content: isComplete ? null : partial || null, reasoning_content: null, tool_calls: toolCalls };
    sendJson(res, 200, {
      id: r.id,
      object: 'chat.completion',
      created: nowS(),
      model: r.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: reason, matched_stop: null }],
      usage: usage(r.prompt.tokens, step),
      metadata: { weight_version: app.args.str('weight_version') },
    });
  };
  submitUserRequest(app, res, {
    rid: r.id,
    promptText: r.prompt.text,
    promptTokens: r.prompt.tokens,
    maxNewTokens: r.maxTokens === null ? eosAt : Math.min(r.maxTokens, eosAt),
    ignoreEos: true,
    stop: [],
    stream,
    onOutput,
  });
}

function matchedOf(finish: Finish): { matched_stop: number | string | null } {
  return { matched_stop: finish.type === 'stop' ? finish.matched : null };
}

function completionPrompt(prompt: unknown): { text: string; tokens: number } {
  const first = Array.isArray(prompt) && prompt.length > 0 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0])) ? prompt[0] : prompt;
  if (typeof first === 'string') return { text: first, tokens: countPromptTokens(first) };
  if (Array.isArray(first)) return { text: first.join(' '), tokens: Math.max(1, first.length) };
  return { text: '', tokens: 1 };
}

export async function handleCompletions(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, res, 'prompt');
  if (!body) return;
  const maxTokens = body.max_tokens === undefined ? 16 : readInteger(body.max_tokens);
  if (maxTokens !== null && maxTokens <= 0) return sendOpenaiError(res, 400, 'max_tokens must be positive.');
  const prompt = completionPrompt(body.prompt);
  const stream = body.stream === true;
  const contextError = checkContext(app, prompt.tokens, maxTokens);
  if (contextError) return stream ? streamError(res, contextError) : sendOpenaiError(res, 400, contextError);
  const id = typeof body.rid === 'string' ? body.rid : uuidHex();
  const model = typeof body.model === 'string' ? body.model : 'default';
  const includeUsage = (body.stream_options as Body | undefined)?.include_usage === true;
  const echo = body.echo === true ? prompt.text : '';
  if (stream) startSse(res);
  const onOutput = (output: EngineOutput) => {
    const base = { id, object: 'text_completion', created: nowS(), model };
    if (!stream) {
      if (output.finish === null || res.destroyed) return;
      sendJson(res, 200, {
        ...base,
        choices: [{ index: 0, text: echo + output.text, logprobs: null, ...finishFields(output.finish) }],
        usage: usage(prompt.tokens, output.completionTokens),
        metadata: { weight_version: app.args.str('weight_version') },
      });
      return;
    }
    writeSse(res, { ...base, choices: [{ index: 0, text: output.delta, logprobs: null, ...finishFields(output.finish) }], usage: null });
    if (output.finish === null) return;
    if (includeUsage) {
      const total = prompt.tokens + output.completionTokens;
      writeSse(res, { ...base, choices: [], usage: { prompt_tokens: prompt.tokens, total_tokens: total, completion_tokens: output.completionTokens, reasoning_tokens: 0 } });
    }
    writeSse(res, '[DONE]');
    res.end();
  };
  submitUserRequest(app, res, {
    rid: id,
    promptText: prompt.text,
    promptTokens: prompt.tokens,
    maxNewTokens: maxTokens,
    ignoreEos: body.ignore_eos === true,
    stop: readStop(body.stop),
    stream,
    onOutput,
  });
}
