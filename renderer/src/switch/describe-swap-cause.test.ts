import { describe, expect, it } from 'vitest';
import type { SwapRecord } from '../../../shared/engine-state.js';
import { describeSwapCause } from './describe-swap-cause.js';

describe('describeSwapCause', () => {
  it.each<[Pick<SwapRecord, 'cause' | 'modelId' | 'forModel' | 'requestId'>, string]>([
    [{ cause: 'manual', modelId: 'qwen', forModel: 'qwen' }, 'manual'],
    [{ cause: 'request', modelId: 'qwen', forModel: 'qwen', requestId: 'req-7' }, 'request req-7'],
    [{ cause: 'evict', modelId: 'kat', forModel: 'mistral' }, 'evicted for mistral'],
    [{ cause: 'idle', modelId: 'kat' }, 'idle'],
    [{ cause: 'default', modelId: 'qwen', forModel: 'qwen' }, 'back to default'],
    [{ cause: 'preload', modelId: 'coder' }, 'preload'],
    [{ cause: 'cli', modelId: 'coder' }, 'CLI'],
    [{ cause: 'stop', modelId: 'coder' }, 'stop'],
  ])('%j → %s', (record, text) => {
    expect(describeSwapCause(record)).toBe(text);
  });
});
