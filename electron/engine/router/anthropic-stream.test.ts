import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator, type AnthropicStreamState } from './anthropic-stream.js';
import { parseSseData, SseEventSplitter } from './sse-event-splitter.js';

const SAMPLE = readFileSync(new URL('../../../test/fixtures/sglang-stream-sample.txt', import.meta.url), 'utf8');

/** The `data:` payloads of an SSE text, as the forwarder hands them to the translator. */
function payloads(sse: string): string[] {
  const splitter = new SseEventSplitter();
  return [...splitter.push(Buffer.from(sse)), ...splitter.flush()].map(parseSseData).filter((d): d is string => d !== null);
}

/** The translated events as {event, data} pairs; checks that each `event:` line names its data's type. */
function events(sse: string): { event: string; data: Record<string, unknown> }[] {
  return sse
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const event = eventLine!.replace(/^event: /, '');
      const data = JSON.parse(dataLine!.replace(/^data: /, '')) as Record<string, unknown>;
      expect(data.type).toBe(event);
      return { event, data };
    });
}

function state(): AnthropicStreamState {
  return { id: 'msg_1', model: 'llama', messageStarted: false, nextIndex: 0 };
}

function translate(chunks: string[], opts: { state?: AnthropicStreamState; stop?: string[] } = {}): { out: string; translator: AnthropicStreamTranslator } {
  const translator = new AnthropicStreamTranslator(opts.state ?? state(), opts.stop ?? []);
  let out = '';
  for (const chunk of chunks) out += translator.push(chunk);
  out += translator.end();
  return { out, translator };
}

/** A chat chunk in SGLang's layout (protocol.py ChatCompletionStreamResponse). */
function chunk(delta: Record<string, unknown>, finish: { reason: string; matched: unknown } | null = null): string {
  const full = { role: null, content: null, reasoning_content: null, tool_calls: null, ...delta };
  const choice = { index: 0, delta: full, logprobs: null, finish_reason: finish?.reason ?? null, matched_stop: finish?.matched ?? null };
  return JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'llama', choices: [choice], usage: null });
}
const usageChunk = JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'llama', choices: [], usage: { prompt_tokens: 50, total_tokens: 58, completion_tokens: 8 } });

describe('AnthropicStreamTranslator', () => {
  it('translates the SGLang sample stream into message_start, one text block, message_delta with usage and message_stop', () => {
    const { out } = translate(payloads(SAMPLE));
    const list = events(out);
    expect(list.map((e) => e.event)).toEqual(['message_start', 'content_block_start', ...Array(7).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    expect(list[0]!.data.message).toMatchObject({ id: 'msg_1', type: 'message', role: 'assistant', model: 'llama', content: [], stop_reason: null });
    expect(list[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const text = list.filter((e) => e.event === 'content_block_delta').map((e) => (e.data.delta as { text: string }).text);
    expect(text.join('')).toBe('The capital of France is Paris.');
    expect(list.at(-2)!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 50, output_tokens: 8, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('continues after the status block: no second message_start, the answer takes the next index', () => {
    const shared = { ...state(), messageStarted: true, nextIndex: 1 };
    const list = events(translate(payloads(SAMPLE), { state: shared }).out);
    expect(list[0]!.event).toBe('content_block_start');
    expect(list[0]!.data.index).toBe(1);
    expect(shared.nextIndex).toBe(2);
  });

  it('reasoning_content becomes a thinking block, closed when the content starts', () => {
    const { out } = translate([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Hmm' }),
      chunk({ reasoning_content: '.' }),
      chunk({ content: '\n\nParis' }),
      chunk({}, { reason: 'stop', matched: 128009 }),
      '[DONE]',
    ]);
    const list = events(out);
    expect(list.map((e) => [e.event, e.data.index ?? null])).toEqual([
      ['message_start', null],
      ['content_block_start', 0],
      ['content_block_delta', 0],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_stop', 1],
      ['message_delta', null],
      ['message_stop', null],
    ]);
    expect(list[1]!.data.content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(list[2]!.data.delta).toEqual({ type: 'thinking_delta', thinking: 'Hmm' });
  });

  it('tool calls as SGLang streams them (id and name once, then argument pieces) become a tool_use block with input_json_delta', () => {
    const first = { id: 'call_abc', index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } };
    const piece = (text: string) => ({ id: null, index: 0, type: 'function', function: { name: null, arguments: text } });
    const second = { id: 'call_def', index: 1, type: 'function', function: { name: 'get_time', arguments: '{}' } };
    const { out } = translate([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Let me check.' }),
      chunk({ tool_calls: [first] }),
      chunk({ tool_calls: [piece('{"city": ')] }),
      chunk({ tool_calls: [piece('"Paris"}')] }),
      chunk({ tool_calls: [second] }),
      chunk({}, { reason: 'tool_calls', matched: 128009 }),
      usageChunk,
      '[DONE]',
    ]);
    const list = events(out);
    const starts = list.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    expect(starts).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: {} } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_def', name: 'get_time', input: {} } },
    ]);
    const json = list.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta').map((e) => [e.data.index, (e.data.delta as { partial_json: string }).partial_json]);
    expect(json).toEqual([
      [1, '{"city": '],
      [1, '"Paris"}'],
      [2, '{}'],
    ]);
    expect(list.at(-2)!.data.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  it('a stop string among the stop_sequences is a stop_sequence stop; the EOS id is end_turn; length is max_tokens', () => {
    const finish = (reason: string, matched: unknown, stop: string[]) => events(translate([chunk({ content: 'a' }), chunk({}, { reason, matched }), '[DONE]'], { stop }).out).at(-2)!.data.delta;
    expect(finish('stop', ' river', [' river'])).toEqual({ stop_reason: 'stop_sequence', stop_sequence: ' river' });
    expect(finish('stop', 128009, [' river'])).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(finish('length', null, [])).toEqual({ stop_reason: 'max_tokens', stop_sequence: null });
  });

  it("SGLang's in-stream error (200, then an error event and [DONE]) ends with an Anthropic error event of its status", () => {
    const error = JSON.stringify({
      error: { object: 'error', message: "The input (9000 tokens) is longer than the model's context length (8192 tokens).", type: 'BadRequestError', param: null, code: 400 },
    });
    const { out, translator } = translate([error, '[DONE]']);
    expect(events(out)).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('longer than the model') } } }]);
    expect(translator.failed).toBe(true);
  });

  it('a stream cut before its finish, or an aborted generation, ends with an api_error event', () => {
    const cut = events(translate([chunk({ content: 'Par' })]).out);
    expect(cut.at(-1)).toMatchObject({ event: 'error', data: { error: { type: 'api_error', message: expect.stringContaining('middle of the response') } } });
    const aborted = events(translate([chunk({ content: 'Par' }), chunk({}, { reason: 'abort', matched: null }), '[DONE]']).out);
    expect(aborted.at(-1)).toMatchObject({ event: 'error', data: { error: { type: 'api_error', message: expect.stringContaining('aborted') } } });
  });

  it('a server that ends after its finish without [DONE] still completes the message', () => {
    const list = events(translate([chunk({ content: 'Paris' }), chunk({}, { reason: 'stop', matched: 128009 })]).out);
    expect(list.at(-1)!.event).toBe('message_stop');
  });
});
