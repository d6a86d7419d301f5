import { describe, expect, it } from 'vitest';
import { TextGenerator, countPromptTokens } from './generate-text.js';
import { formatDefaultBar, formatShardBar, StatusPrinter } from './tqdm-bar.js';

describe('tqdm rendering', () => {
  it('matches the CUDA-graph bar lines of the reference sample', () => {
    expect(formatDefaultBar('Capturing batches (bs=512 avail_mem=11.80 GB)', { n: 0, total: 52, elapsedS: 0 })).toBe(
      'Capturing batches (bs=512 avail_mem=11.80 GB):   0%|          | 0/52 [00:00<?, ?it/s]',
    );
    expect(formatDefaultBar('Capturing batches (bs=496 avail_mem=11.77 GB)', { n: 1, total: 52, elapsedS: 0.31 })).toBe(
      'Capturing batches (bs=496 avail_mem=11.77 GB):   2%|▏         | 1/52 [00:00<00:15,  3.23it/s]',
    );
    expect(formatDefaultBar('Capturing batches (bs=24 avail_mem=10.47 GB)', { n: 45, total: 52, elapsedS: 66.2 })).toBe(
      'Capturing batches (bs=24 avail_mem=10.47 GB):  87%|████████▋ | 45/52 [01:06<00:10,  1.47s/it]',
    );
    expect(formatDefaultBar('x', { n: 52, total: 52, elapsedS: 385 })).toBe('x: 100%|██████████| 52/52 [06:25<00:00,  7.40s/it]');
  });

  it('matches the shard bar format (newline-terminated)', () => {
    expect(formatShardBar('safetensors', { n: 1, total: 9, elapsedS: 3.62 })).toBe('Loading safetensors checkpoint shards:  11% Completed | 1/9 [00:03<00:28,  3.62s/it]\n');
  });

  it('writes each refresh as \\r + line, padded to the previous length', () => {
    let out = '';
    const printer = new StatusPrinter((text) => (out += text));
    printer.print('abcd');
    printer.print('ab');
    printer.close();
    expect(out).toBe('\rabcd\rab  \n');
  });
});

describe('fake text generation', () => {
  it('is deterministic per prompt and ends naturally after 30–60 tokens', () => {
    const a = new TextGenerator('hello');
    const b = new TextGenerator('hello');
    const first = Array.from({ length: 10 }, () => a.next().text).join('');
    expect(Array.from({ length: 10 }, () => b.next().text).join('')).toBe(first);
    expect(a.naturalLength).toBeGreaterThanOrEqual(30);
    expect(a.naturalLength).toBeLessThanOrEqual(60);
    expect(countPromptTokens('The capital city of France is')).toBe(7);
  });
});
