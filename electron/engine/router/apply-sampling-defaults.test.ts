import { describe, expect, it } from 'vitest';
import { applySamplingDefaults } from './apply-sampling-defaults.js';

const DEFAULTS = { temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, repetition_penalty: 1.05, max_tokens: 4096, stop: ['<|im_end|>'] };

describe('applySamplingDefaults', () => {
  it.each<{ name: string; body: Record<string, unknown>; defaults: Record<string, unknown>; after: Record<string, unknown>; changed: boolean }>([
    {
      name: 'adds every default to a bare chat body',
      body: { model: 'm', messages: [] },
      defaults: DEFAULTS,
      after: { model: 'm', messages: [], ...DEFAULTS },
      changed: true,
    },
    {
      name: 'adds to a completions body alike',
      body: { model: 'm', prompt: 'Once', stream: true },
      defaults: { temperature: 0.2, max_tokens: 64 },
      after: { model: 'm', prompt: 'Once', stream: true, temperature: 0.2, max_tokens: 64 },
      changed: true,
    },
    {
      name: 'never overrides what the client set, even falsy values',
      body: { temperature: 0, top_p: 1, top_k: -1, min_p: 0, repetition_penalty: 1, max_tokens: 10, stop: [] },
      defaults: DEFAULTS,
      after: { temperature: 0, top_p: 1, top_k: -1, min_p: 0, repetition_penalty: 1, max_tokens: 10, stop: [] },
      changed: false,
    },
    {
      name: 'keeps false and ""',
      body: { ignore_eos: false, stop: '' },
      defaults: { ignore_eos: true, stop: 'END' },
      after: { ignore_eos: false, stop: '' },
      changed: false,
    },
    {
      name: 'fills a key the client set to null',
      body: { temperature: null, top_p: 0.5 },
      defaults: { temperature: 0.7, top_p: 0.9 },
      after: { temperature: 0.7, top_p: 0.5 },
      changed: true,
    },
    {
      name: 'fills a key present as undefined',
      body: { temperature: undefined },
      defaults: { temperature: 0.7 },
      after: { temperature: 0.7 },
      changed: true,
    },
    {
      name: 'does not add max_tokens next to a client max_completion_tokens',
      body: { max_completion_tokens: 100 },
      defaults: { max_tokens: 4096, temperature: 0.7 },
      after: { max_completion_tokens: 100, temperature: 0.7 },
      changed: true,
    },
    {
      name: 'does not add max_completion_tokens next to a client max_tokens',
      body: { max_tokens: 100 },
      defaults: { max_completion_tokens: 4096 },
      after: { max_tokens: 100 },
      changed: false,
    },
    {
      name: 'skips null and undefined defaults',
      body: {},
      defaults: { temperature: null, top_p: undefined },
      after: {},
      changed: false,
    },
    { name: 'no defaults, no change', body: { temperature: 1 }, defaults: {}, after: { temperature: 1 }, changed: false },
    {
      name: 'a key inherited from Object.prototype counts as absent',
      body: {},
      defaults: { constructor: 'x', toString: 1 },
      after: { constructor: 'x', toString: 1 },
      changed: true,
    },
  ])('$name', ({ body, defaults, after, changed }) => {
    expect(applySamplingDefaults(body, defaults)).toBe(changed);
    expect(body).toEqual(after);
  });

  it('copies array and object defaults, so a body never shares them', () => {
    const defaults = { stop: ['</s>'], logit_bias: { '50256': -100 } };
    const body: Record<string, unknown> = {};
    applySamplingDefaults(body, defaults);
    (body.stop as string[]).push('<eot>');
    (body.logit_bias as Record<string, number>)['1'] = 5;
    expect(defaults).toEqual({ stop: ['</s>'], logit_bias: { '50256': -100 } });
  });

  it('leaves __proto__ alone', () => {
    const defaults = JSON.parse('{"__proto__":{"polluted":true},"temperature":0.5}') as Record<string, unknown>;
    const body: Record<string, unknown> = {};
    expect(applySamplingDefaults(body, defaults)).toBe(true);
    expect(body).toEqual({ temperature: 0.5 });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
  });
});
