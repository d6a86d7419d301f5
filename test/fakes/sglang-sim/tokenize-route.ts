// POST /v1/tokenize and /tokenize as SGLang 0.5.3.post1 answers them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens } from './generate-text.js';
import { pyReprJson, sendJson, sendValidationError } from './http-io.js';
import { readJsonBody } from './openai-routes.js';
import type { SimApp } from './sim-context.js';

/**
 * POST /v1/tokenize (and /tokenize), added in 0.5.3.post1 (serving_tokenize.py, protocol.py
 * TokenizeRequest/TokenizeResponse; not in 0.5.3): `{model?, prompt: str | [str], add_special_tokens = true}`
 * → `{"tokens": [...], "count": n, "max_model_len": L}`, lists of both for a list prompt. Plain text
 * only (no chat template). The fake tokenizer: about four characters per token with made-up ids, the
 * Llama-3 BOS (128000) first when add_special_tokens; `max_model_len` (the tokenizer's
 * model_max_length) is the context length.
 */
export async function handleTokenize(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, res, 'prompt');
  if (!body) return;
  const bos = body.add_special_tokens === false ? [] : [BOS_TOKEN_ID];
  const encode = (text: string) => [...bos, ...fakeTokenIds(text)];
  const { prompt } = body;
  if (typeof prompt === 'string') {
    const tokens = encode(prompt);
    return sendJson(res, 200, { tokens, count: tokens.length, max_model_len: app.contextLen });
  }
  if (Array.isArray(prompt) && prompt.every((item) => typeof item === 'string')) {
    const tokens = prompt.map(encode);
    return sendJson(res, 200, { tokens, count: tokens.map((ids) => ids.length), max_model_len: app.contextLen });
  }
  const input = pyReprJson(prompt);
  sendValidationError(
    res,
    `[{'type': 'string_type', 'loc': ('body', 'prompt', 'str'), 'msg': 'Input should be a valid string', 'input': ${input}}, ` +
      `{'type': 'list_type', 'loc': ('body', 'prompt', 'list[str]'), 'msg': 'Input should be a valid list', 'input': ${input}}]`,
  );
}

/** Llama-3 `<|begin_of_text|>`. */
const BOS_TOKEN_ID = 128000;

function fakeTokenIds(text: string): number[] {
  if (text === '') return [];
  const ids: number[] = [];
  const count = countPromptTokens(text);
  const size = Math.ceil(text.length / count);
  for (let i = 0; i < count; i++) {
    let hash = 0;
    for (const ch of text.slice(i * size, (i + 1) * size)) hash = (hash * 31 + ch.charCodeAt(0)) % 128000;
    ids.push(hash);
  }
  return ids;
}
