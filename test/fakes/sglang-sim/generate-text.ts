// Deterministic fake model output: word tokens from a fixed list, seeded by the prompt, so the
// same prompt always produces the same text. A natural answer is 30–60 tokens plus EOS.

/** Llama-3 `<|eot_id|>`, reported as `matched_stop` when generation ends naturally. */
export const EOS_TOKEN_ID = 128009;

const WORDS = [
  'the',
  'model',
  'server',
  'answer',
  'is',
  'a',
  'simple',
  'question',
  'of',
  'light',
  'and',
  'time',
  'in',
  'this',
  'case',
  'we',
  'can',
  'see',
  'that',
  'every',
  'token',
  'follows',
  'from',
  'its',
  'context',
  'with',
  'care',
  'so',
  'it',
  'remains',
  'clear',
  'to',
  'readers',
  'who',
  'ask',
  'about',
  'capital',
  'cities',
  'rivers',
  'mountains',
  'history',
  'science',
  'music',
  'numbers',
  'often',
  'quite',
  'useful',
  'here',
  'there',
  'when',
  'because',
  'while',
  'each',
  'small',
  'step',
  'matters',
  'for',
  'better',
  'results',
  'today',
  'Paris',
  'France',
  'world',
  'people',
];

export interface Token {
  id: number;
  text: string;
}

export type FinishReason = { type: 'stop'; matched: number | string } | { type: 'length'; length: number };

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** About four characters per token, at least one. */
export function countPromptTokens(text: string): number {
  return Math.max(1, Math.round(text.length / 4));
}

/** Produces the tokens of one answer, one at a time. */
export class TextGenerator {
  private state: number;
  private produced = 0;
  private sinceStop = 0;
  private capitalize = true;
  /** Text tokens before the EOS token when nothing else stops the generation. */
  readonly naturalLength: number;

  constructor(prompt: string) {
    const seed = fnv1a(prompt);
    this.state = seed || 1;
    this.naturalLength = 30 + (seed % 31);
  }

  private random(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  next(): Token {
    const first = this.produced === 0;
    this.produced += 1;
    if (!first && this.sinceStop >= 6 && this.random() < 0.18) {
      this.sinceStop = 0;
      this.capitalize = true;
      return { id: 13, text: '.' };
    }
    this.sinceStop += 1;
    const index = Math.floor(this.random() * WORDS.length);
    let word = WORDS[index] ?? 'the';
    if (this.capitalize) word = word.charAt(0).toUpperCase() + word.slice(1);
    this.capitalize = false;
    return { id: 1000 + index * 37, text: first ? word : ` ${word}` };
  }
}
