import { describe, expect, it } from 'vitest';
import { formatStatusLine, hasStatusMarker, STATUS_CLOSE, STATUS_OPEN, type StatusLineInput, stripStatusText } from './status-text.js';

const MODEL = 'kat-dev-awq-8bit';

/** What a client receives for one switch, marked the way the router marks it. */
const STATUS =
  STATUS_OPEN +
  formatStatusLine({ kind: 'switching', modelId: MODEL }) +
  formatStatusLine({ kind: 'phase', modelId: MODEL, phaseLabel: 'Loading weights', percent: 45, detail: 'shard 4/9', elapsedMs: 130_000, etaMs: 180_000 }) +
  formatStatusLine({ kind: 'ready', modelId: MODEL, elapsedMs: 242_000 }) +
  `${STATUS_CLOSE}\n`;

const FAILED_STATUS =
  STATUS_OPEN +
  formatStatusLine({ kind: 'switching', modelId: MODEL }) +
  formatStatusLine({ kind: 'failed', modelId: MODEL, message: 'CUDA out of memory while loading weights', hint: 'lower mem_fraction_static' }) +
  STATUS_CLOSE;

/** A stream cut while loading: OPEN and never CLOSE. */
const CUT_STATUS = STATUS_OPEN + formatStatusLine({ kind: 'switching', modelId: MODEL }) + '⏳ Loading weights 12% · 31s\n';

const ANSWER = 'The capital of France is **Paris**.';

/** Open WebUI's saved form of a reasoning box: each line of the reasoning quoted with "> " (or `&gt; `). */
function reasoningBox(reasoning: string, quote = '> '): string {
  const lines = reasoning.split('\n');
  if (lines.at(-1) === '') lines.pop(); // like Python's splitlines()
  const quoted = lines.map((line) => (line.startsWith('>') ? line : quote + line)).join('\n');
  return `<details type="reasoning" done="true" duration="243">\n<summary>Thought for 243 seconds</summary>\n${quoted}\n</details>\n`;
}

const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown, extra: Record<string, unknown> = {}) => ({ role: 'assistant', content, ...extra });

describe('formatStatusLine', () => {
  it.each<{ input: StatusLineInput; line: string }>([
    { input: { kind: 'switching', modelId: MODEL }, line: '🔄 Switching to kat-dev-awq-8bit…\n' },
    {
      input: { kind: 'phase', modelId: MODEL, phaseLabel: 'Loading weights', percent: 45, elapsedMs: 130_000, etaMs: 180_000 },
      line: '⏳ Loading weights 45% · 2m10s · ~3m left\n',
    },
    {
      input: { kind: 'tick', modelId: MODEL, phaseLabel: 'Loading weights', percent: 33, detail: 'shard 3/9', elapsedMs: 5_400, etaMs: 40_000 },
      line: '⏳ Loading weights 33% (shard 3/9) · 5s · ~40s left\n',
    },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'Capturing CUDA graphs', elapsedMs: 242_000, etaMs: null }, line: '⏳ Capturing CUDA graphs · 4m02s\n' },
    { input: { kind: 'phase', modelId: MODEL, phaseLabel: 'Launching SGLang' }, line: '⏳ Launching SGLang\n' },
    { input: { kind: 'tick', modelId: MODEL, elapsedMs: 3_900_000 }, line: '⏳ Loading · 1h05m\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'Warming up', percent: 99.7 }, line: '⏳ Warming up 99%\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'Warming up', percent: 120 }, line: '⏳ Warming up 100%\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'X', percent: 0, elapsedMs: 0, etaMs: 4_200 }, line: '⏳ X 0% · 0s · ~5s left\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'X', etaMs: 56_000 }, line: '⏳ X · ~1m left\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'X', etaMs: 4_800_000 }, line: '⏳ X · ~1h20m left\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'X', etaMs: 0 }, line: '⏳ X\n' },
    { input: { kind: 'tick', modelId: MODEL, phaseLabel: 'X', percent: Number.NaN, etaMs: Number.POSITIVE_INFINITY }, line: '⏳ X\n' },
    { input: { kind: 'ready', modelId: MODEL, elapsedMs: 242_000 }, line: '✅ Ready (4m02s)\n' },
    { input: { kind: 'ready', modelId: MODEL, elapsedMs: 9_999 }, line: '✅ Ready (9s)\n' },
    { input: { kind: 'ready', modelId: MODEL }, line: '✅ Ready\n' },
    {
      input: { kind: 'failed', modelId: MODEL, message: 'CUDA out of memory while loading weights', hint: 'lower mem_fraction_static' },
      line: '❌ CUDA out of memory while loading weights — lower mem_fraction_static\n',
    },
    { input: { kind: 'failed', modelId: MODEL, message: 'port 8001 is taken' }, line: '❌ port 8001 is taken\n' },
    { input: { kind: 'failed', modelId: MODEL }, line: '❌ Switching to kat-dev-awq-8bit failed\n' },
  ])('$line', ({ input, line }) => {
    expect(formatStatusLine(input)).toBe(line);
  });
});

describe('status markers', () => {
  it('are invisible, ignorable format characters that differ and cannot overlap', () => {
    for (const marker of [STATUS_OPEN, STATUS_CLOSE]) {
      expect(marker).toMatch(/^[\p{Cf}]{3}$/u);
      expect(marker).toMatch(/^\p{Default_Ignorable_Code_Point}+$/u);
      expect(marker.trim()).toBe(marker);
      expect(marker).not.toContain('\u200d');
    }
    expect(STATUS_OPEN).not.toBe(STATUS_CLOSE);
    expect((STATUS_CLOSE + STATUS_OPEN).indexOf(STATUS_OPEN)).toBe(STATUS_CLOSE.length);
    expect((STATUS_OPEN + STATUS_CLOSE).indexOf(STATUS_CLOSE)).toBe(STATUS_OPEN.length);
  });

  it('survive a JSON round trip', () => {
    expect(JSON.parse(JSON.stringify({ content: STATUS })).content).toBe(STATUS);
  });
});

describe('hasStatusMarker', () => {
  /** Python's json.dumps default (ensure_ascii): every non-ASCII character as a \uXXXX escape. */
  const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const body = { model: MODEL, messages: [user('hi'), assistant(STATUS + ANSWER), user('and Spain?')] };

  it.each([
    { name: 'marker as is', raw: JSON.stringify(body), has: true },
    { name: 'marker JSON-escaped (Python ensure_ascii)', raw: asciiJson(body), has: true },
    { name: 'a Buffer', raw: Buffer.from(JSON.stringify(body)), has: true },
    { name: 'a cut stream (OPEN only)', raw: JSON.stringify({ messages: [assistant(CUT_STATUS)] }), has: true },
    { name: 'no marker', raw: JSON.stringify({ messages: [user('hi'), assistant(ANSWER)] }), has: false },
    { name: 'a CLOSE alone', raw: `{"content":"${STATUS_CLOSE}"}`, has: false },
    { name: 'other invisible characters', raw: '{"content":"a\u2060b\u2063c\u200bd"}', has: false },
  ])('$name → $has', ({ raw, has }) => {
    expect(hasStatusMarker(raw)).toBe(has);
  });

  it('the escaped form really is what a Python client sends', () => {
    expect(asciiJson(body)).not.toContain(STATUS_OPEN);
  });
});

describe('stripStatusText', () => {
  it.each<{ name: string; before: unknown; after: unknown }>([
    { name: 'status before the answer in content', before: STATUS + ANSWER, after: ANSWER },
    { name: 'CLOSE after the last newline', before: STATUS.replace(`${STATUS_CLOSE}\n`, STATUS_CLOSE) + '\n\n' + ANSWER, after: ANSWER },
    { name: 'status only: empty content, turn kept', before: STATUS, after: '' },
    { name: 'failed switch', before: FAILED_STATUS, after: '' },
    { name: 'failed switch followed by whitespace', before: `${FAILED_STATUS}\n\n  `, after: '' },
    { name: 'cut stream: OPEN without CLOSE runs to the end', before: CUT_STATUS, after: '' },
    { name: 'text before the status is kept', before: `Earlier text.\n\n${STATUS}${ANSWER}`, after: `Earlier text.\n\n${ANSWER}` },
    { name: 'two status blocks', before: `${STATUS}First.\n\n${STATUS}${ANSWER}`, after: `First.\n\n${ANSWER}` },
    {
      name: 'text parts of array content; other parts untouched',
      before: [
        { type: 'text', text: STATUS + ANSWER },
        { type: 'image_url', image_url: { url: 'data:x' } },
        { type: 'text', text: 'Plain.' },
      ],
      after: [
        { type: 'text', text: ANSWER },
        { type: 'image_url', image_url: { url: 'data:x' } },
        { type: 'text', text: 'Plain.' },
      ],
    },
    {
      name: 'a reasoning box holding only status is removed whole',
      before: reasoningBox(STATUS) + ANSWER,
      after: ANSWER,
    },
    {
      name: 'a reasoning box holding only status, HTML-escaped quotes',
      before: reasoningBox(STATUS, '&gt; ') + ANSWER,
      after: ANSWER,
    },
    {
      name: 'a reasoning box alone, after the newline Open WebUI puts first: empty content',
      before: `\n${reasoningBox(STATUS)}`,
      after: '',
    },
    {
      name: 'a reasoning box from a cut stream',
      before: reasoningBox(CUT_STATUS).replace('done="true" duration="243"', 'done="false"') + ANSWER,
      after: ANSWER,
    },
    {
      name: 'a reasoning box with status then the model thinking keeps the thinking',
      before: reasoningBox(`${STATUS}The user asks about France.\nParis is the capital.`) + ANSWER,
      after: reasoningBox('The user asks about France.\nParis is the capital.') + ANSWER,
    },
    {
      name: 'a model reasoning box without status stays as is',
      before: reasoningBox('Think about France.') + STATUS + ANSWER,
      after: reasoningBox('Think about France.') + ANSWER,
    },
  ])('$name', ({ before, after }) => {
    const messages = [user('What is the capital of France?'), assistant(before), user('And Spain?')];
    const result = stripStatusText(messages);
    expect(result.changed).toBe(true);
    expect(result.messages).toEqual([messages[0], assistant(after), messages[2]]);
  });

  it('strips reasoning_content too', () => {
    const result = stripStatusText([assistant(ANSWER, { reasoning_content: `${STATUS}Thinking.` })]);
    expect(result).toEqual({ changed: true, messages: [assistant(ANSWER, { reasoning_content: 'Thinking.' })] });
  });

  it('returns the same array, unchanged, when there is nothing to strip', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      user('Hi'),
      assistant(ANSWER),
      assistant([{ type: 'text', text: ANSWER }]),
      assistant(null, { tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
    ];
    const snapshot = structuredClone(messages);
    const result = stripStatusText(messages);
    expect(result.changed).toBe(false);
    expect(result.messages).toBe(messages);
    expect(messages).toEqual(snapshot);
  });

  it('never touches user, system or tool messages, even with markers', () => {
    const messages = [{ role: 'system', content: STATUS }, user(STATUS + 'quoted back'), { role: 'tool', tool_call_id: 'c1', content: STATUS }, user([{ type: 'text', text: STATUS }])];
    const result = stripStatusText(messages);
    expect(result).toEqual({ messages, changed: false });
    expect(result.messages).toBe(messages);
  });

  it('does not mutate its input and keeps unchanged messages as the same objects', () => {
    const messages = [user('Q1'), assistant(STATUS + ANSWER), user('Q2'), assistant('Plain answer.')];
    const snapshot = structuredClone(messages);
    const result = stripStatusText(messages);
    expect(messages).toEqual(snapshot);
    const out = result.messages as unknown[];
    expect(out).not.toBe(messages);
    expect(out[0]).toBe(messages[0]);
    expect(out[3]).toBe(messages[3]);
    expect(out[1]).not.toBe(messages[1]);
  });

  it.each([
    { name: 'not an array', messages: { role: 'assistant', content: STATUS } },
    { name: 'undefined', messages: undefined },
    { name: 'odd entries', messages: [null, 3, 'text', { role: 'assistant' }, { role: 'assistant', content: 5 }] },
  ])('leaves $name alone', ({ messages }) => {
    const result = stripStatusText(messages);
    expect(result.changed).toBe(false);
    expect(result.messages).toBe(messages);
  });
});
