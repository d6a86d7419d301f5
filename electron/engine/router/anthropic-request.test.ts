import { describe, expect, it } from 'vitest';
import { promptTextOf, translateMessagesRequest } from './anthropic-request.js';
import { RouterError } from './openai-error.js';
import { STATUS_CLOSE, STATUS_OPEN } from './status-text.js';

const base = { model: 'alpha', max_tokens: 16 };
const user = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });

describe('translateMessagesRequest', () => {
  it.each([
    ['a string turn', user('Hi'), { messages: [{ role: 'user', content: 'Hi' }] }],
    [
      'system string',
      { ...user('Hi'), system: 'Be brief.' },
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
    ],
    [
      'system text blocks, joined',
      {
        ...user('Hi'),
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
        ],
      },
      {
        messages: [
          { role: 'system', content: 'A\n\nB' },
          { role: 'user', content: 'Hi' },
        ],
      },
    ],
    [
      'text blocks only: one string',
      user([
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]),
      { messages: [{ role: 'user', content: 'one\n\ntwo' }] },
    ],
    [
      'images: base64 as a data URL, url as is',
      user([
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
        { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
        { type: 'text', text: 'What is it?' },
      ]),
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
              { type: 'text', text: 'What is it?' },
            ],
          },
        ],
      },
    ],
    [
      'tool results first as tool messages; their images go into the turn',
      user([
        { type: 'text', text: 'Here:' },
        { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
        {
          type: 'tool_result',
          tool_use_id: 't2',
          content: [
            { type: 'text', text: 'shot' },
            { type: 'image', source: { type: 'url', url: 'u' } },
          ],
          is_error: true,
        },
      ]),
      {
        messages: [
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
          { role: 'tool', tool_call_id: 't2', content: 'shot' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Here:' },
              { type: 'image_url', image_url: { url: 'u' } },
            ],
          },
        ],
      },
    ],
    ['a turn of tool results only', user([{ type: 'tool_result', tool_use_id: 't1' }]), { messages: [{ role: 'tool', tool_call_id: 't1', content: '' }] }],
    [
      'assistant: text and tool_use → content and tool_calls; thinking dropped',
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hm', signature: 's' },
              { type: 'redacted_thinking', data: 'x' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
            ],
          },
        ],
      },
      { messages: [{ role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }] },
    ],
    [
      "the router's status text is stripped from assistant turns (a block of its own, or inside a string)",
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'text', text: `${STATUS_OPEN}🔄 Switching to alpha…\n✅ Ready (2s)\n${STATUS_CLOSE}\n` },
              { type: 'text', text: 'Paris.' },
            ],
          },
          { role: 'assistant', content: `${STATUS_OPEN}🔄 x\n${STATUS_CLOSE}\nLyon.` },
        ],
      },
      {
        messages: [
          { role: 'assistant', content: 'Paris.' },
          { role: 'assistant', content: 'Lyon.' },
        ],
      },
    ],
    [
      'sampling, stop sequences, stream with usage',
      { ...user('Hi'), temperature: 0.5, top_p: 0.9, top_k: 20, stop_sequences: ['END'], stream: true, metadata: { user_id: 'u' } },
      { messages: [{ role: 'user', content: 'Hi' }], temperature: 0.5, top_p: 0.9, top_k: 20, stop: ['END'], stream: true, stream_options: { include_usage: true } },
    ],
    [
      'tools and tool_choice any → required',
      { ...user('Hi'), tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' } }], tool_choice: { type: 'any' } },
      { messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }], tool_choice: 'required' },
    ],
    [
      'tool_choice tool → named function; none → none; a choice without tools is dropped',
      { ...user('Hi'), tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'tool', name: 'f' } },
      { messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }], tool_choice: { type: 'function', function: { name: 'f' } } },
    ],
    ['tool_choice without tools', { ...user('Hi'), tool_choice: { type: 'auto' } }, { messages: [{ role: 'user', content: 'Hi' }] }],
    [
      'thinking enabled → the template switches',
      { ...user('Hi'), thinking: { type: 'enabled', budget_tokens: 1024 } },
      { messages: [{ role: 'user', content: 'Hi' }], chat_template_kwargs: { enable_thinking: true, thinking: true } },
    ],
    ['thinking disabled', { ...user('Hi'), thinking: { type: 'disabled' } }, { messages: [{ role: 'user', content: 'Hi' }], chat_template_kwargs: { enable_thinking: false, thinking: false } }],
  ])('%s', (_name, input, expected) => {
    const { chat } = translateMessagesRequest(input);
    expect(chat).toEqual({ model: 'alpha', max_tokens: 16, ...expected });
  });

  it('returns the stream flag, the stop sequences and the model name as sent', () => {
    expect(translateMessagesRequest({ ...user('Hi'), model: 'a', stream: true, stop_sequences: ['x'] })).toMatchObject({ requestModel: 'a', stream: true, stopSequences: ['x'] });
  });

  it('count_tokens needs no max_tokens', () => {
    expect(translateMessagesRequest({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }] }, { forCount: true }).chat).toEqual({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it.each([
    ['not an object', [], 'JSON object'],
    ['no model', { max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }, '"model"'],
    ['no messages', { model: 'a', max_tokens: 1 }, '"messages"'],
    ['empty messages', { model: 'a', max_tokens: 1, messages: [] }, '"messages"'],
    ['no max_tokens', { model: 'a', messages: [{ role: 'user', content: 'x' }] }, '"max_tokens"'],
    ['max_tokens 0', { ...user('x'), max_tokens: 0 }, '"max_tokens"'],
    ['a system role in messages', { ...base, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    ['content neither string nor array', { ...base, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    ['a block without type', user([{ text: 'x' }]), 'messages[0].content[0]'],
    ['an unknown block', user([{ type: 'document', source: {} }]), 'content block type "document"'],
    ['tool_use in a user turn', user([{ type: 'tool_use', id: 'a', name: 'f', input: {} }]), 'content block type "tool_use"'],
    ['tool_result without its id', user([{ type: 'tool_result', content: 'x' }]), 'tool_use_id'],
    ['a file image source', user([{ type: 'image', source: { type: 'file', file_id: 'f' } }]), 'file sources'],
    ['a server tool', { ...user('x'), tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tool type "web_search_20250305"'],
    ['a tool without input_schema', { ...user('x'), tools: [{ name: 'f' }] }, 'input_schema'],
    ['a bad tool_choice', { ...user('x'), tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'some' } }, 'tool_choice.type'],
    ['stop_sequences not strings', { ...user('x'), stop_sequences: [1] }, 'stop_sequences'],
    ['temperature not a number', { ...user('x'), temperature: 'hot' }, '"temperature"'],
  ])('refuses %s with a 400 that says what is wrong', (_name, input, message) => {
    let error: unknown;
    try {
      translateMessagesRequest(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RouterError);
    expect((error as RouterError).status).toBe(400);
    expect((error as RouterError).body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining(message) });
  });
});

describe('promptTextOf', () => {
  it('joins the text of messages, tool calls and tool definitions', () => {
    const { chat } = translateMessagesRequest({
      ...base,
      system: 'S',
      tools: [{ name: 'f', input_schema: {} }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'U' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: 'R' }] },
      ],
    });
    expect(promptTextOf(chat)).toBe('S\nU\n\nf\n{"a":1}\nR\n[{"type":"function","function":{"name":"f","parameters":{}}}]');
  });
});
