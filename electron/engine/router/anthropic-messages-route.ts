import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadingMessageStyle, ModelEntry } from '../../../shared/catalog-schema.js';
import type { Engine } from '../engine-api.js';
import { applySamplingDefaults } from './apply-sampling-defaults.js';
import { sendAnthropicError } from './anthropic-error.js';
import { forwardAnthropic } from './anthropic-forward.js';
import { promptTextOf, translateMessagesRequest } from './anthropic-request.js';
import { anthropicMessageId, translateChatCompletion, UntranslatableAnswer } from './anthropic-response.js';
import { anthropicStatusSink } from './anthropic-status-sink.js';
import { AnthropicStreamTranslator, type AnthropicStreamState } from './anthropic-stream.js';
import { loadingStyle, resolveRequestModel, sendRouterError, serveLeased, type CompletionRouteOptions } from './completion-route.js';
import { openAiError, RouterError } from './openai-error.js';
import { readRawBody } from './read-raw-body.js';
import { noteRequestStream } from './request-observer.js';

/** A Messages API request, translated and resolved to its catalog model. */
interface ParsedMessages {
  model: ModelEntry;
  requestModel: string;
  stream: boolean;
  style: LoadingMessageStyle;
  stopSequences: string[];
  /** The OpenAI chat request for the model server. */
  chat: Record<string, unknown>;
}

/**
 * POST /v1/messages: Anthropic's Messages API in and out, served by the model's OpenAI chat API.
 * Shares the OpenAI routes' lease flow (switch, status while it loads, crash retry); a stream shows
 * the switch as its first content block (anthropic-status-sink.ts) and the answer as the blocks after.
 */
export async function handleAnthropicMessages(engine: Engine, req: IncomingMessage, res: ServerResponse, opts: CompletionRouteOptions): Promise<void> {
  let parsed: ParsedMessages;
  try {
    parsed = parseMessages(engine, req, res, await readRawBody(req, opts.maxBodyBytes), opts, false);
  } catch (err) {
    return sendRouterError(res, err, req, sendAnthropicError);
  }
  const { requestModel, stopSequences } = parsed;
  const body = Buffer.from(JSON.stringify(parsed.chat));
  const state: AnthropicStreamState = { id: anthropicMessageId(undefined), model: requestModel, messageStarted: false, nextIndex: 0 };
  await serveLeased(engine, res, parsed, opts.readyTimeoutMs, {
    statusSink: () => anthropicStatusSink(res, state, parsed.style),
    sendError: sendAnthropicError,
    forward: (baseUrl, retryable, client) =>
      forwardAnthropic({
        res,
        baseUrl,
        path: '/v1/chat/completions',
        body,
        client,
        retryable,
        ...(parsed.stream ? { translator: new AnthropicStreamTranslator(state, stopSequences) } : { translateJson: (json) => translateChatCompletion(json, requestModel, stopSequences) }),
      }),
  });
}

/**
 * POST /v1/messages/count_tokens: `{"input_tokens": n}` from the model server's tokenizer (SGLang's
 * `POST /v1/tokenize`, since 0.5.3.post1). That route takes plain text, not messages, so the count is
 * of the messages' text, tool calls and results and tool definitions without the chat template's
 * own tokens: an estimate, a little low. Like a request, it loads the model when it is not loaded.
 */
export async function handleAnthropicCountTokens(engine: Engine, req: IncomingMessage, res: ServerResponse, opts: CompletionRouteOptions): Promise<void> {
  let parsed: ParsedMessages;
  try {
    parsed = parseMessages(engine, req, res, await readRawBody(req, opts.maxBodyBytes), opts, true);
  } catch (err) {
    return sendRouterError(res, err, req, sendAnthropicError);
  }
  const body = Buffer.from(JSON.stringify({ model: parsed.chat.model, prompt: promptTextOf(parsed.chat) }));
  const target = { model: parsed.model, stream: false };
  await serveLeased(engine, res, target, opts.readyTimeoutMs, {
    statusSink: () => {
      throw new Error('count_tokens never streams');
    },
    sendError: sendAnthropicError,
    forward: (baseUrl, retryable, client) => forwardAnthropic({ res, baseUrl, path: '/v1/tokenize', body, client, retryable, translateJson: inputTokensOf }),
  });
}

function parseMessages(engine: Engine, req: IncomingMessage, res: ServerResponse, raw: Buffer, opts: CompletionRouteOptions, forCount: boolean): ParsedMessages {
  const style = loadingStyle(req.headers['x-switchboard-loading'], opts.defaultLoadingStyle);
  let input: unknown;
  try {
    input = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new RouterError(400, openAiError(`request body is not valid JSON: ${(err as Error).message}`, 'invalid_request_error', 'invalid_json'));
  }
  if (!forCount) noteRequestStream(res, (input as { stream?: unknown } | null)?.stream === true);
  const translated = translateMessagesRequest(input, { forCount });
  const model = resolveRequestModel(engine, translated.requestModel);
  const { chat } = translated;
  applyModelDefaults(chat, model.sampling);
  // An `upstream:` server gets the name the client used (it may serve several); a launched server its catalog id.
  chat.model = model.upstream === undefined ? model.id : translated.requestModel;
  return { model, requestModel: translated.requestModel, stream: translated.stream, style, stopSequences: translated.stopSequences, chat };
}

/** The catalog's sampling defaults, as for chat; template switches from `thinking` go over the model's own. */
function applyModelDefaults(chat: Record<string, unknown>, defaults: Record<string, unknown>): void {
  const own = defaults.chat_template_kwargs;
  if (isRecord(chat.chat_template_kwargs) && isRecord(own)) chat.chat_template_kwargs = { ...own, ...chat.chat_template_kwargs };
  applySamplingDefaults(chat, defaults);
}

/** SGLang's TokenizeResponse `{tokens, count, max_model_len}` (protocol.py) → `{input_tokens}`. */
function inputTokensOf(json: unknown): unknown {
  const count = isRecord(json) ? json.count : undefined;
  if (typeof count !== 'number') throw new UntranslatableAnswer('the model server answered /v1/tokenize without a "count"');
  return { input_tokens: count };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
