// /v1/chat/completions and /v1/completions with SGLang 0.5.3's exact JSON layouts and SSE order.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens } from './generate-text.js';
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

type Body = Record<string, unknown>;

const nowS = () => Math.floor(Date.now() / 1000);

/** Reads and validates the JSON body; sends the 400 and returns undefined when invalid. */
async function readJsonBody(req: IncomingMessage, res: ServerResponse, required: string): Promise<Body | undefined> {
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

/** Llama-3-style chat template overhead: system header + 5 tokens per message. */
function chatPromptTokens(messages: readonly unknown[]): { text: string; tokens: number } {
  const texts = messages.map((message) => messageText((message as Body | null)?.content));
  return { text: texts.join('\n'), tokens: 31 + texts.reduce((sum, text) => sum + 5 + countPromptTokens(text), 0) };
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
  const prompt = chatPromptTokens(messages);
  const stream = body.stream === true;
  const contextError = checkContext(app, prompt.tokens, maxTokens);
  if (contextError) return stream ? streamError(res, contextError) : sendOpenaiError(res, 400, contextError);
  const id = typeof body.rid === 'string' ? body.rid : uuidHex();
  const model = typeof body.model === 'string' ? body.model : 'default';
  const includeUsage = (body.stream_options as Body | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], usageValue: unknown = null) => ({ id, object: 'chat.completion.chunk', created: nowS(), model, choices, usage: usageValue });
  const delta = (role: string | null, content: string | null) => ({ role, content, reasoning_content: null, tool_calls: null });
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
