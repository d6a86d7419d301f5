import { describe, expect, it } from 'vitest';
import { readUsage, USAGE_TAIL_BYTES, UsageTail } from './usage-tail.js';

describe('readUsage', () => {
  it('reads a JSON answer and a stream whose last chunk has usage', () => {
    const json = '{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":12,"total_tokens":20,"completion_tokens":8,"prompt_tokens_details":null}}';
    expect(readUsage(json)).toEqual({ promptTokens: 12, completionTokens: 8 });
    const stream = 'data: {"choices":[{"delta":{"content":"a"}}],"usage":null}\n\ndata: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\ndata: [DONE]\n\n';
    expect(readUsage(stream)).toEqual({ promptTokens: 3, completionTokens: 4 });
  });

  it('gives nulls for a stream without usage and ignores usage talked about inside a message', () => {
    expect(readUsage('data: {"choices":[],"usage":null}\n\ndata: [DONE]\n\n')).toEqual({ promptTokens: null, completionTokens: null });
    expect(readUsage('{"content":"say \\"usage\\": {\\"prompt_tokens\\": 5}"}')).toEqual({ promptTokens: null, completionTokens: null });
    expect(readUsage('')).toEqual({ promptTokens: null, completionTokens: null });
  });
});

describe('UsageTail', () => {
  it('keeps only the last chunks and still finds usage split across two of them', () => {
    const tail = new UsageTail();
    for (let i = 0; i < 100; i++) tail.push(Buffer.from(`data: {"choices":[{"delta":{"content":"${'x'.repeat(200)}"}}],"usage":null}\n\n`));
    tail.push(Buffer.from('data: {"choices":[],"usage":{"prompt_'));
    tail.push(Buffer.from('tokens":7,"completion_tokens":9}}\n\ndata: [DONE]\n\n'));
    expect(tail.usage()).toEqual({ promptTokens: 7, completionTokens: 9 });
    expect((tail as unknown as { bytes: number }).bytes).toBeLessThan(USAGE_TAIL_BYTES + 400);
  });
});
