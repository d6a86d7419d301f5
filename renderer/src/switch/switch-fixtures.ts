import type { LoadRecord, SlotView } from '../../../shared/engine-state.js';
import type { Failure } from '../../../shared/failure.js';
import { sampleSlot } from '../engine/sample-engine-state.js';

// Slot views in the order the engine emits them (slot-switcher.ts: drain, stop, starting with
// `launching`, loading through the phases, ready or failed), for the switch tests.

export const T0 = 1_750_000_100_000;
export const LOAD_AT = T0 + 3_000;

/** qwen ready → mistral (tp=4, torch.compile): every phase, then ready. */
export function mistralSwitchViews(): { atMs: number; slot: SlotView }[] {
  const pending = { modelId: 'mistral-large-2411-awq', waiters: 1, cause: 'manual' as const };
  const loading = (atMs: number, progress: SlotView['progress'], etaMs: number | null): { atMs: number; slot: SlotView } => ({
    atMs,
    slot: sampleSlot({ status: atMs === LOAD_AT ? 'starting' : 'loading', modelId: 'mistral-large-2411-awq', progress, loadStartedAtMs: LOAD_AT, etaMs, pending, pid: 4242 }),
  });
  return [
    { atMs: T0, slot: sampleSlot({ status: 'ready', modelId: 'qwen2.5-7b-instruct', progress: { phase: 'ready' }, readyAtMs: T0 - 60_000, loadStartedAtMs: T0 - 66_000, pending, draining: true }) },
    { atMs: T0 + 1_000, slot: sampleSlot({ status: 'stopping', modelId: 'qwen2.5-7b-instruct', progress: { phase: 'stopping' }, loadStartedAtMs: T0 - 66_000, pending }) },
    { atMs: T0 + 2_500, slot: sampleSlot({ status: 'stopped', modelId: 'qwen2.5-7b-instruct', loadStartedAtMs: T0 - 66_000, pending }) },
    loading(LOAD_AT, { phase: 'launching' }, 240_000),
    loading(LOAD_AT + 8_000, { phase: 'initializing' }, 232_000),
    loading(LOAD_AT + 20_000, { phase: 'weights', phaseFraction: 4 / 9, detail: 'shard 4/9' }, 150_000),
    loading(LOAD_AT + 60_000, { phase: 'kv_cache' }, 110_000),
    loading(LOAD_AT + 70_000, { phase: 'cuda_graphs', phaseFraction: 0.25, detail: 'bs=160 5/20' }, 90_000),
    loading(LOAD_AT + 100_000, { phase: 'torch_compile', phaseFraction: 0.5, detail: 'bs=16 15/20' }, 60_000),
    loading(LOAD_AT + 200_000, { phase: 'warmup' }, 5_000),
  ];
}

export const MISTRAL_READY: SlotView = sampleSlot({
  status: 'ready',
  modelId: 'mistral-large-2411-awq',
  progress: { phase: 'ready' },
  loadStartedAtMs: LOAD_AT,
  readyAtMs: LOAD_AT + 242_000,
  pid: 4242,
});

export const MISTRAL_RECORD: LoadRecord = {
  modelId: 'mistral-large-2411-awq',
  startedAtMs: LOAD_AT,
  endedAtMs: LOAD_AT + 242_000,
  outcome: 'ready',
  cause: 'manual',
  phaseMs: { launching: 8_000, initializing: 12_000, weights: 40_000, kv_cache: 10_000, cuda_graphs: 30_000, torch_compile: 100_000, warmup: 42_000 },
  powerLimits: [1, 2, 3, 4].map((index) => ({ index, uuid: `GPU-${index}`, requestedW: 300, enforcedW: 300 })),
};

export const KAT_OOM: Failure = {
  cause: 'oom',
  message: 'CUDA out of memory while loading weights',
  hint: 'lower memFractionStatic or contextLength',
  phase: 'weights',
  exitCode: null,
  exitSignal: 'SIGKILL',
  lastLines: [
    '[2026-06-11 05:11:57 TP0] Scheduler hit an exception: Traceback (most recent call last):',
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 384.00 MiB. GPU 0 has a total capacity of 23.56 GiB of which 338.75 MiB is free.',
    '[2026-06-11 05:11:58] Received sigquit from a child process. It usually means the child failed.',
  ],
  atMs: LOAD_AT + 30_000,
};

/** stopped → kat-dev: launching, weights half way, then failed with CUDA OOM. */
export function katFailureViews(failure: Failure = KAT_OOM): { atMs: number; slot: SlotView }[] {
  const pending = { modelId: 'kat-dev-awq-8bit', waiters: 1, cause: 'request' as const };
  const base = { modelId: 'kat-dev-awq-8bit', loadStartedAtMs: LOAD_AT };
  return [
    { atMs: T0, slot: sampleSlot() },
    { atMs: LOAD_AT, slot: sampleSlot({ ...base, status: 'starting', progress: { phase: 'launching' }, etaMs: null, pending }) },
    { atMs: LOAD_AT + 25_000, slot: sampleSlot({ ...base, status: 'loading', progress: { phase: 'weights', phaseFraction: 0.5, detail: 'shard 5/10' }, etaMs: null, pending }) },
    { atMs: LOAD_AT + 31_000, slot: sampleSlot({ ...base, status: 'failed', progress: { phase: 'weights', phaseFraction: 0.5, detail: 'shard 5/10' }, failure }) },
  ];
}

/** The warm qwen's own slot (GPU 0, its own port), as the engine lists it. */
const WARM_SLOT = { id: 'gpu0.qwen2.5-7b-instruct', gpus: [0], port: 8011, modelId: 'qwen2.5-7b-instruct', pid: 5151, loadStartedAtMs: T0 - 66_000, readyAtMs: T0 - 60_000 };

/** A warm qwen: ready → put to sleep (releasing → sleeping) for another model, then a request wakes it in 4 s. */
export function warmQwenViews(): { atMs: number; slot: SlotView }[] {
  const pending = { modelId: 'qwen2.5-7b-instruct', waiters: 1, cause: 'request' as const };
  return [
    { atMs: T0, slot: sampleSlot({ ...WARM_SLOT, status: 'ready' }) },
    { atMs: T0 + 1_000, slot: sampleSlot({ ...WARM_SLOT, status: 'releasing' }) },
    { atMs: T0 + 3_000, slot: sampleSlot({ ...WARM_SLOT, status: 'sleeping' }) },
    { atMs: LOAD_AT + 60_000, slot: sampleSlot({ ...WARM_SLOT, status: 'waking', pending, etaMs: 4_000 }) },
  ];
}

/** qwen woken: ready again (the slot's readyAtMs now the wake's end). */
export const WARM_QWEN_AWAKE: SlotView = sampleSlot({ ...WARM_SLOT, status: 'ready', readyAtMs: LOAD_AT + 64_000 });
