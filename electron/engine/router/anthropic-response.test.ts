import { describe, expect, it } from 'vitest';
import { anthropicErrorType } from './anthropic-error.js';
import { anthropicStop, anthropicUsage, toolInputOf, translateChatCompletion, UntranslatableAnswer } from './anthropic-response.js';

/** SGLang's non-streaming answer (reference §8.5), with the given message and finish. */
function completion(message: Record<string, unknown>, finish = 'stop', matched: unknown = 128009): unknown {
  return {
    id: '3f0c8a6e5d2b4c1f9a7e6d5c4b3a2910',
    object: 'chat.completion',
    created: 1760441102,
    model: 'llama-3.1-70b-awq',
    choices: [{ index: 0, message: { role: 'assistant', content: null, reasoning_content: null, tool_calls: null, ...message }, logprobs: null, finish_reason: finish, matched_stop: matched }],
    usage: { prompt_tokens: 50, total_tokens: 58, completion_tokens: 8, prompt_tokens_details: null, reasoning_tokens: 0 },
    metadata: { weight_version: 'default' },
  };
}

describe('translateChatCompletion', () => {
  it('a text answer: one text block, end_turn, usage, the model name the client asked for', () => {
    expect(translateChatCompletion(completion({ content: 'The capital of France is Paris.' }), 'llama', [])).toEqual({
      id: 'msg_3f0c8a6e5d2b4c1f9a7e6d5c4b3a2910',
      type: 'message',
      role: 'assistant',
      model: 'llama',
      content: [{ type: 'text', text: 'The capital of France is Paris.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 8, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('reasoning and tool calls (as SGLang sends them: index -1, arguments a JSON string) become thinking and tool_use blocks', () => {
    const message = {
      content: 'Let me look.',
      reasoning_content: 'Need the weather.',
      tool_calls: [{ id: 'call_0123456789abcdef01234567', index: -1, type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }],
    };
    const answer = translateChatCompletion(completion(message, 'tool_calls', null), 'llama', []);
    expect(answer.content).toEqual([
      { type: 'thinking', thinking: 'Need the weather.', signature: '' },
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'call_0123456789abcdef01234567', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(answer.stop_reason).toBe('tool_use');
  });

  it('an empty answer has no blocks; an answer without choices or aborted is untranslatable', () => {
    expect(translateChatCompletion(completion({ content: null }, 'length', null), 'm', []).content).toEqual([]);
    expect(() => translateChatCompletion({ object: 'error' }, 'm', [])).toThrow(UntranslatableAnswer);
    expect(() => translateChatCompletion(completion({ content: 'a' }, 'abort', null), 'm', [])).toThrow(UntranslatableAnswer);
  });
});

describe('anthropicStop', () => {
  it.each([
    ['stop', 128009, [], false, { stop_reason: 'end_turn', stop_sequence: null }],
    ['stop', 'END', ['END'], false, { stop_reason: 'stop_sequence', stop_sequence: 'END' }],
    ['stop', 'END', [], false, { stop_reason: 'end_turn', stop_sequence: null }],
    ['length', null, [], false, { stop_reason: 'max_tokens', stop_sequence: null }],
    ['tool_calls', null, [], true, { stop_reason: 'tool_use', stop_sequence: null }],
    ['stop', 128009, [], true, { stop_reason: 'tool_use', stop_sequence: null }],
    [null, null, [], false, { stop_reason: 'end_turn', stop_sequence: null }],
  ])('%s / matched %s / stops %j / tools %s', (finish, matched, stops, tools, expected) => {
    expect(anthropicStop(finish, matched, stops, tools)).toEqual(expected);
  });
});

describe('anthropicUsage and toolInputOf', () => {
  it('cached prompt tokens are cache reads, not input', () => {
    expect(anthropicUsage({ prompt_tokens: 50, completion_tokens: 8, prompt_tokens_details: { cached_tokens: 32 } })).toEqual({
      input_tokens: 18,
      output_tokens: 8,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 32,
    });
    expect(anthropicUsage(null)).toEqual({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('arguments: JSON objects parsed; broken or non-object JSON passed on as {arguments}', () => {
    expect(toolInputOf('{"a": 1}')).toEqual({ a: 1 });
    expect(toolInputOf('')).toEqual({});
    expect(toolInputOf('{"a": ')).toEqual({ arguments: '{"a": ' });
    expect(toolInputOf('[1]')).toEqual({ arguments: '[1]' });
  });
});

describe('anthropicErrorType', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [405, 'invalid_request_error'],
    [409, 'invalid_request_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'api_error'],
    [504, 'timeout_error'],
    [529, 'overloaded_error'],
  ])('%i → %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });
});
