import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDeltaNormalizer, cumulativeToDeltaText, type StreamKind } from './normalize-deltas.js';
import { parseSseData, SseEventSplitter } from './sse-event-splitter.js';

type Json = Record<string, any>;

const SAMPLE = readFileSync(new URL('../../../test/fixtures/sglang-stream-sample.txt', import.meta.url));

/** The SGLang fixture as the router sees it: raw events out of the splitter (comment block first). */
function sampleEvents(): Buffer[] {
  const splitter = new SseEventSplitter();
  return [...splitter.push(SAMPLE), ...splitter.flush()];
}

const event = (json: unknown, eol = '\n'): Buffer => Buffer.from(`data: ${JSON.stringify(json)}${eol}${eol}`);
const DONE = Buffer.from('data: [DONE]\n\n');

function dataJson(e: Buffer | undefined): Json | null {
  const data = e && parseSseData(e);
  return data?.startsWith('{') ? (JSON.parse(data) as Json) : null;
}

/**
 * Rewrites a delta stream into the cumulative stream an older router would send: each text field
 * carries the whole text so far. Events without text stay the same Buffer.
 */
function toCumulative(events: Buffer[], fields: string[], kind: StreamKind): Buffer[] {
  const sums = new Map<string, string>();
  return events.map((e) => {
    const json = dataJson(e);
    if (!json || !Array.isArray(json.choices)) return e;
    let changed = false;
    for (const choice of json.choices) {
      const holder = kind === 'chat' ? choice.delta : choice;
      for (const field of fields) {
        if (typeof holder?.[field] !== 'string' || holder[field] === '') continue;
        const key = `${choice.index ?? 0}/${field}`;
        holder[field] = (sums.get(key) ?? '') + holder[field];
        sums.set(key, holder[field]);
        changed = true;
      }
    }
    return changed ? event(json) : e;
  });
}

function runAll(kind: StreamKind, events: Buffer[]): { out: Buffer[]; mode: string } {
  const normalizer = createDeltaNormalizer(kind);
  const out = events.map((e) => normalizer.transform(e));
  return { out, mode: normalizer.mode };
}

/** Concatenated text of one field of one choice over a stream. */
function joinedText(events: Buffer[], kind: StreamKind, field: string, index = 0): string {
  return events
    .map(dataJson)
    .flatMap((json) => json?.choices ?? [])
    .filter((choice: Json) => (choice.index ?? 0) === index)
    .map((choice: Json) => (kind === 'chat' ? choice.delta?.[field] : choice[field]) ?? '')
    .join('');
}

function chatChunk(delta: Json, extra: Json = {}): Json {
  return {
    id: '0d8e0f5bd4a54c83a1c7a9f2e8b6d4c1',
    object: 'chat.completion.chunk',
    created: 1760441266,
    model: 'qwen3-32b',
    choices: [{ index: 0, delta: { role: null, content: null, reasoning_content: null, tool_calls: null, ...delta }, logprobs: null, finish_reason: null, matched_stop: null, ...extra }],
    usage: null,
  };
}

function completionChunk(text: string, index = 0, finish: string | null = null): Json {
  return {
    id: '5c2b9e0f1d3a4b7c8e6f0a1b2c3d4e5f',
    object: 'text_completion',
    created: 1760441300,
    model: 'llama-3.1-70b-awq',
    choices: [{ index, text, logprobs: null, finish_reason: finish, matched_stop: null }],
    usage: null,
  };
}

/** SGLang's reasoning stream (§8.5 of the reference): thinking in reasoning_content, then the answer. */
const REASONING_DELTAS: Buffer[] = [
  event(chatChunk({ role: 'assistant', content: '' })),
  ...['Paris', ' is', ' the', ' capital', '.'].map((t) => event(chatChunk({ reasoning_content: t }))),
  ...['\n\n', 'Paris', '.'].map((t) => event(chatChunk({ content: t }))),
  event(chatChunk({}, { finish_reason: 'stop', matched_stop: 151645 })),
  DONE,
];

/** SGLang's completions stream: text deltas, finish_reason on the last chunk (with empty text), usage, [DONE]. */
const COMPLETION_DELTAS: Buffer[] = [
  ...[' Paris', '.', ' It', ' is'].map((t) => event(completionChunk(t))),
  event(completionChunk('', 0, 'length')),
  event({ ...completionChunk(''), choices: [], usage: { prompt_tokens: 6, total_tokens: 10, completion_tokens: 4, reasoning_tokens: 0 } }),
  DONE,
];

/** n=2 completions: the choices interleave, and one event carries both. */
const TWO_CHOICE_DELTAS: Buffer[] = [
  event(completionChunk('Red', 0)),
  event(completionChunk('Blue', 1)),
  event(completionChunk(' apples', 0)),
  event({ ...completionChunk(' skies', 1), choices: [completionChunk(' and', 0).choices[0], completionChunk(' skies', 1).choices[0]] }),
  event(completionChunk(' pears', 0, 'stop')),
  event(completionChunk('', 1, 'stop')),
  DONE,
];

describe('createDeltaNormalizer', () => {
  it('passes a true SGLang delta stream through as the very same Buffers and stops parsing', () => {
    const events = sampleEvents();
    const normalizer = createDeltaNormalizer('chat');
    for (const e of events) expect(normalizer.transform(e)).toBe(e);
    expect(normalizer.mode).toBe('delta');
  });

  it('decides "delta" at the second content piece', () => {
    const events = sampleEvents(); // comment block, role chunk, "The", " capital", ...
    const normalizer = createDeltaNormalizer('chat');
    const modes = events.slice(0, 4).map((e) => (normalizer.transform(e), normalizer.mode));
    expect(modes).toEqual(['undecided', 'undecided', 'undecided', 'delta']);
  });

  it.each([
    { name: 'SGLang delta stream', kind: 'chat' as const, events: sampleEvents() },
    { name: 'reasoning delta stream', kind: 'chat' as const, events: REASONING_DELTAS },
    { name: 'completions delta stream', kind: 'completions' as const, events: COMPLETION_DELTAS },
    { name: 'two-choice delta stream', kind: 'completions' as const, events: TWO_CHOICE_DELTAS },
  ])('$name: every output is its input Buffer', ({ kind, events }) => {
    const { out, mode } = runAll(kind, events);
    out.forEach((e, i) => expect(e, `event ${i}`).toBe(events[i]));
    expect(mode).toBe('delta');
  });

  it.each([
    { name: 'chat (the SGLang sample made cumulative)', kind: 'chat' as const, fields: ['content'], deltas: sampleEvents() },
    { name: 'chat reasoning_content + content', kind: 'chat' as const, fields: ['content', 'reasoning_content'], deltas: REASONING_DELTAS },
    { name: 'completions', kind: 'completions' as const, fields: ['text'], deltas: COMPLETION_DELTAS },
    { name: 'completions with two choices', kind: 'completions' as const, fields: ['text'], deltas: TWO_CHOICE_DELTAS },
  ])('cumulative $name: turns back into the exact delta stream', ({ kind, fields, deltas }) => {
    const cumulative = toCumulative(deltas, fields, kind);
    expect(cumulative.filter((e, i) => e !== deltas[i]).length).toBeGreaterThan(2);
    const { out, mode } = runAll(kind, cumulative);
    expect(mode).toBe('cumulative');
    // Compact JSON with the same key order: the re-serialised events are the original bytes.
    expect(out.map(String)).toEqual(deltas.map(String));
    // Events without text (role, finish, usage, [DONE], comments) are not even re-serialised.
    cumulative.forEach((e, i) => {
      if (e === deltas[i]) expect(out[i], `event ${i}`).toBe(e);
    });
  });

  it('cumulative chat: the deltas add up to the final text and keep every other field', () => {
    const cumulative = toCumulative(sampleEvents(), ['content'], 'chat');
    const { out } = runAll('chat', cumulative);
    expect(joinedText(out, 'chat', 'content')).toBe('The capital of France is Paris.');
    expect(joinedText(cumulative, 'chat', 'content')).not.toBe('The capital of France is Paris.');
    const last = dataJson(out[8])!;
    expect(dataJson(cumulative[8])!.choices[0].delta.content).toBe('The capital of France is Paris.');
    expect(last).toEqual({
      id: '0d8e0f5bd4a54c83a1c7a9f2e8b6d4c1',
      object: 'chat.completion.chunk',
      created: 1760441267,
      model: 'llama-3.1-70b-awq',
      choices: [{ index: 0, delta: { role: null, content: '.', reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: null, matched_stop: null }],
      usage: null,
    });
  });

  it('handles the minimal chunk layout, with no index and nothing but the text', () => {
    const pieces = ['Hel', 'Hello', 'Hello, wor', 'Hello, world!'];
    const { out, mode } = runAll(
      'chat',
      pieces.map((content) => event({ choices: [{ delta: { content } }] })),
    );
    expect(mode).toBe('cumulative');
    expect(out.map(String)).toEqual(['Hel', 'lo', ', wor', 'ld!'].map((content) => `data: {"choices":[{"delta":{"content":"${content}"}}]}\n\n`));
  });

  it('keeps CRLF line endings when it re-serialises', () => {
    const events = ['a', 'ab', 'abc'].map((text) => event({ choices: [{ index: 0, text }] }, '\r\n'));
    const { out } = runAll('completions', events);
    expect(out.map(String)).toEqual(['a', 'b', 'c'].map((text) => `data: {"choices":[{"index":0,"text":"${text}"}]}\r\n\r\n`));
  });

  it('falls back to pass-through when a piece stops extending the text (a delta stream that looked cumulative)', () => {
    // A true delta stream "The", "The cap" (sic), "ital" ... reads as cumulative until "ital".
    const events = ['The', 'The cap', 'ital', ' of', ' France'].map((content) => event(chatChunk({ content })));
    const normalizer = createDeltaNormalizer('chat');
    const [the, theCap] = events;
    expect(normalizer.transform(the!)).toBe(the);
    expect(dataJson(normalizer.transform(theCap!))!.choices[0].delta.content).toBe(' cap');
    expect(normalizer.mode).toBe('cumulative');
    for (const e of events.slice(2)) expect(normalizer.transform(e)).toBe(e);
    expect(normalizer.mode).toBe('delta');
  });

  it('passes the whole breaking event unchanged, even when its other fields still fit', () => {
    const normalizer = createDeltaNormalizer('chat');
    normalizer.transform(event(chatChunk({ content: 'a', reasoning_content: 'x' })));
    normalizer.transform(event(chatChunk({ content: 'ab', reasoning_content: 'xy' })));
    const breaking = event(chatChunk({ content: 'c', reasoning_content: 'xyz' }));
    expect(normalizer.transform(breaking)).toBe(breaking);
    expect(normalizer.mode).toBe('delta');
  });

  it.each([
    { name: 'a repeated first piece', pieces: ['ab', 'ab'] },
    { name: 'a shorter second piece', pieces: ['ab', 'a'] },
    { name: 'an unrelated second piece', pieces: ['ab', 'cd'] },
  ])('decides "delta" on $name', ({ pieces }) => {
    const events = pieces.map((text) => event(completionChunk(text)));
    const { out, mode } = runAll('completions', events);
    expect(mode).toBe('delta');
    out.forEach((e, i) => expect(e).toBe(events[i]));
  });

  it('treats a repeat of the whole text in cumulative mode as an empty delta', () => {
    const events = ['a', 'ab', 'ab'].map((text) => event(completionChunk(text)));
    const { out, mode } = runAll('completions', events);
    expect(mode).toBe('cumulative');
    expect(out.map((e) => dataJson(e)!.choices[0].text)).toEqual(['a', 'b', '']);
  });

  it.each(['undecided', 'cumulative'] as const)('passes errors, [DONE], comments and non-JSON data unchanged while %s', (state) => {
    const normalizer = createDeltaNormalizer('chat');
    normalizer.transform(event(chatChunk({ content: 'Hi' })));
    if (state === 'cumulative') normalizer.transform(event(chatChunk({ content: 'Hi there' })));
    expect(normalizer.mode).toBe(state);
    const passing = [
      Buffer.from(
        'data: {"error": {"object": "error", "message": "The input (9000 tokens) is longer than the model\'s context length (8192 tokens).", "type": "BadRequestError", "param": null, "code": 400}}\n\n',
      ),
      Buffer.from('data: {"error":{"message":"boom"}}\n\n'),
      Buffer.from(': keep-alive\n\n'),
      Buffer.from('data: not json\n\n'),
      Buffer.from('data: {"choices":[{"delta":{"content":\n\n'),
      Buffer.from('data: ["an","array"]\n\n'),
      DONE,
    ];
    for (const e of passing) expect(normalizer.transform(e)).toBe(e);
    expect(normalizer.mode).toBe(state);
  });

  it('gives up on a stream that carries no text for many events (a long tool call)', () => {
    const normalizer = createDeltaNormalizer('chat');
    const toolCall = event(chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"x' } }] }));
    for (let i = 0; i < 63; i++) normalizer.transform(toolCall);
    expect(normalizer.mode).toBe('undecided');
    normalizer.transform(toolCall);
    expect(normalizer.mode).toBe('delta');
  });

  it('tracks each field on its own: a new field starts from empty text', () => {
    const events = [
      event(chatChunk({ reasoning_content: 'Think' })),
      event(chatChunk({ reasoning_content: 'Thinking' })),
      event(chatChunk({ content: 'An' })),
      event(chatChunk({ content: 'Answer', reasoning_content: 'Thinking' })),
    ];
    const { out, mode } = runAll('chat', events);
    expect(mode).toBe('cumulative');
    expect(out.map((e) => dataJson(e)!.choices[0].delta)).toMatchObject([
      { reasoning_content: 'Think', content: null },
      { reasoning_content: 'ing', content: null },
      { reasoning_content: null, content: 'An' },
      { reasoning_content: '', content: 'swer' },
    ]);
  });
});

describe('cumulativeToDeltaText', () => {
  it.each([
    { prev: '', next: 'abc', delta: 'abc' },
    { prev: 'ab', next: 'abc', delta: 'c' },
    { prev: 'abc', next: 'abc', delta: '' },
    { prev: 'abc', next: 'ab', delta: null },
    { prev: 'abc', next: 'xbcd', delta: null },
  ])('$prev → $next', ({ prev, next, delta }) => {
    expect(cumulativeToDeltaText(prev, next)).toBe(delta);
  });
});
