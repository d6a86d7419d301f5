import type { SwapRecord, SwitchCause } from '../../../shared/engine-state.js';

const CAUSE_WORDS: Record<SwitchCause, string> = {
  request: 'request',
  manual: 'manual',
  cli: 'CLI',
  preload: 'preload',
  idle: 'idle',
  default: 'back to default',
  evict: 'evicted',
  stop: 'stop',
  adopt: 'adopted at start',
  crash: 'crashed',
};

/**
 * Why a model was loaded or unloaded, in a few words: "evicted for mistral", "request req-7",
 * "idle". `forModel` is named when it is another model than the record's (a load's own model
 * would only repeat the Model column).
 */
export function describeSwapCause(record: Pick<SwapRecord, 'cause' | 'modelId' | 'forModel' | 'requestId'>): string {
  const parts = [CAUSE_WORDS[record.cause] ?? record.cause];
  if (record.forModel && record.forModel !== record.modelId) parts.push(`for ${record.forModel}`);
  if (record.requestId) parts.push(record.requestId);
  return parts.join(' ');
}
