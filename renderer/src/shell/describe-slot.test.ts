import { describe, expect, it } from 'vitest';
import type { SlotView } from '../../../shared/engine-state.js';
import { sampleMultiSlots } from '../engine/sample-multi-slot-state.js';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { summarizeSlotStatus } from '../engine/summarize-slot-status.js';
import { describeSlots } from './describe-slot.js';

const QWEN_READY = sampleSlot({ id: 'gpu0', status: 'ready', modelId: 'qwen' });
const CODER_READY = sampleSlot({ id: 'gpu5', status: 'ready', modelId: 'coder' });
const MISTRAL_STOPPING = sampleSlot({ id: 'gpu1', status: 'stopping', modelId: 'mistral' });
const KAT_FAILED = sampleSlot({ id: 'gpu4', status: 'failed', modelId: 'kat', failure: { cause: 'oom', message: 'CUDA out of memory', hint: 'lower it', atMs: 1 } });
const STOPPED = sampleSlot({ id: 'gpu9' });
// Warm models, each in a slot of its own.
const MISTRAL_ASLEEP = sampleSlot({ id: 'gpu1.mistral', status: 'sleeping', modelId: 'mistral' });
const KAT_RELEASING = sampleSlot({ id: 'gpu4.kat', status: 'releasing', modelId: 'kat' });
const QWEN_WAKING = sampleSlot({ id: 'gpu0.qwen', status: 'waking', modelId: 'qwen', pending: { modelId: 'qwen', waiters: 1, cause: 'request' } });

describe('the header over several slots', () => {
  it.each<{ name: string; slots: SlotView[] | null; status: string; text: string }>([
    { name: 'no state yet', slots: null, status: 'stopped', text: 'No engine state yet' },
    { name: 'no slots at all', slots: [], status: 'stopped', text: 'No model loaded' },
    { name: 'only stopped slots', slots: [STOPPED, STOPPED], status: 'stopped', text: 'No model loaded' },
    { name: 'a stopped slot with a switch pending', slots: [sampleSlot({ pending: { modelId: 'qwen', waiters: 1, cause: 'manual' } })], status: 'stopped', text: 'Switching to qwen' },
    { name: 'one ready slot', slots: [STOPPED, QWEN_READY], status: 'ready', text: 'qwen ready' },
    { name: 'two ready and one failed', slots: [QWEN_READY, KAT_FAILED, CODER_READY], status: 'failed', text: 'kat failed: CUDA out of memory · qwen ready · coder ready' },
    { name: 'stopping beats failed', slots: [KAT_FAILED, MISTRAL_STOPPING], status: 'stopping', text: 'Stopping mistral · kat failed: CUDA out of memory' },
    { name: 'a warm model asleep', slots: [STOPPED, MISTRAL_ASLEEP], status: 'sleeping', text: 'mistral asleep (GPU memory released)' },
    { name: 'ready beats asleep', slots: [MISTRAL_ASLEEP, CODER_READY], status: 'ready', text: 'coder ready · mistral asleep (GPU memory released)' },
    { name: 'putting one to sleep while another loads', slots: [KAT_RELEASING, MISTRAL_ASLEEP], status: 'releasing', text: 'Putting kat to sleep… · mistral asleep (GPU memory released)' },
    { name: 'waking beats failed', slots: [KAT_FAILED, QWEN_WAKING], status: 'waking', text: 'Waking qwen… · kat failed: CUDA out of memory' },
    {
      name: 'two ready and one loading (stopped slot left out)',
      slots: sampleMultiSlots(),
      status: 'loading',
      text: 'Loading mistral-large-2411-awq — Loading weights 44% · qwen2.5-7b-instruct ready · qwen2.5-coder-7b ready',
    },
  ])('$name', ({ slots, status, text }) => {
    expect(summarizeSlotStatus(slots ?? [])).toBe(status);
    expect(describeSlots(slots)).toBe(text);
  });
});
