import { describe, expect, it } from 'vitest';
import { readServerMemory } from './read-server-memory.js';

describe('readServerMemory (/server_info, /get_server_info)', () => {
  it.each([
    [
      '0.5.3.post1 with CUDA graphs (memory_usage per DP rank; rank 0 read)',
      { max_total_num_tokens: 46611, internal_states: [{ memory_usage: { weight: 15.54, kvcache: 11.38, token_capacity: 46611, cuda_graph: 0.45 } }, { memory_usage: { weight: 9 } }] },
      { weightsGib: 15.54, kvPoolGib: 11.38, kvTokens: 46611 },
    ],
    [
      'a release whose scheduler reports no weight figure',
      { max_total_num_tokens: 20480, internal_states: [{ memory_usage: { kvcache: 0.23, token_capacity: 20480 } }] },
      { weightsGib: null, kvPoolGib: 0.23, kvTokens: 20480 },
    ],
    ['only the top-level token count', { max_total_num_tokens: 1000, internal_states: [] }, { weightsGib: null, kvPoolGib: null, kvTokens: 1000 }],
    ['another server', { status: 'ok' }, null],
    ['garbage figures', { internal_states: [{ memory_usage: { weight: 'x', kvcache: -1, token_capacity: null } }] }, null],
  ])('%s', (_, body, expected) => {
    expect(readServerMemory(JSON.stringify(body))).toEqual(expected);
  });

  it('not JSON, or not an object: null', () => {
    expect(readServerMemory('<html>')).toBeNull();
    expect(readServerMemory('null')).toBeNull();
    expect(readServerMemory('[1]')).toBeNull();
  });
});
