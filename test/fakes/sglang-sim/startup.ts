// The scheduler side of `launch_server`, from spawning the ranks to `max_total_num_tokens=`:
// torch.distributed init, weight shards, KV cache, CUDA-graph capture (+ torch.compile).
import { defaultAttentionBackend } from './gpu-defaults.js';
import type { SimLogger } from './log-writer.js';
import { cudaOomMessage, type HeldMemory, type MemoryPlan } from './memory-plan.js';
import type { ModelDir } from './model-dir.js';
import type { ProcessTree } from './process-tree.js';
import { fmt2, pyRepr } from './python-repr.js';
import type { QuantChoice } from './quantization.js';
import type { ServerArgs } from './server-args-repr.js';
import { dieFromSchedulerException } from './shutdown.js';
import { sleepSim, type SimEnv } from './sim-env.js';
import { StatusPrinter, formatDefaultBar, formatShardBar } from './tqdm-bar.js';
import { graphOomTraceback, headsAssertTraceback, invalidOrdinalTraceback, notEnoughMemoryTraceback, weightsOomTraceback } from './tracebacks.js';

/** Simulated seconds of each phase at SGLANG_SIM_TIME_SCALE=1. */
export const PHASE_S = {
  pythonImport: 2.5,
  mainModelConfig: 1.5,
  chatTemplate: 1,
  schedulerSpawn: 6,
  distInit: 3,
  modelInit: 0.5,
  shard: 3.5,
  kvAlloc: 1,
  graphSetup: 0.3,
  graphCapture: 0.3,
  torchCompile: 40,
  schedulerReady: 1,
  uvicornStart: 1,
} as const;

export interface StartupContext {
  env: SimEnv;
  args: ServerArgs;
  model: ModelDir;
  quant: QuantChoice;
  modelDtype: string;
  kvDtype: string;
  plan: MemoryPlan;
  contextLen: number;
  log: SimLogger;
  tree: ProcessTree;
  /** What every rank holds changed (GPU memory the fake nvidia-smi shows). */
  onHeld?: (change: Partial<HeldMemory>) => void;
}

/** Deterministic ±spread jitter so that progress bars look measured, not computed. */
function jitter(seed: number, spread: number): number {
  return 1 + spread * Math.sin(seed * 12.9898 + 78.233);
}

/** TP0 first, then the other ranks in a shuffled (but deterministic) order, as real logs interleave. */
function rankOrder(tpSize: number, salt: number): number[] {
  const rest = Array.from({ length: tpSize - 1 }, (_, index) => index + 1);
  const shift = rest.length > 0 ? salt % rest.length : 0;
  return [0, ...rest.slice(shift), ...rest.slice(0, shift)];
}

function gpuIdOf(ctx: StartupContext, rank: number): number {
  return (ctx.args.num('base_gpu_id') ?? 0) + rank * (ctx.args.num('gpu_id_step') ?? 1);
}

async function initDistributed(ctx: StartupContext, tp: number): Promise<void> {
  const { log, args } = ctx;
  if (args.str('attention_backend') === null) {
    log.rank(0, `Attention backend not explicitly specified. Use ${defaultAttentionBackend(ctx.env.gpuMemMiB)} backend by default.`);
  }
  log.rank(0, 'Init torch distributed begin.');
  const missing = Array.from({ length: tp }, (_, rank) => rank).filter((rank) => gpuIdOf(ctx, rank) >= ctx.env.gpuCount);
  if (missing.length > 0) {
    await sleepSim(ctx.env, 0.5);
    const visible = ctx.env.cudaVisibleDevices === undefined ? 'None' : `'${ctx.env.cudaVisibleDevices}'`;
    for (const rank of missing) {
      log.rank(rank, `Context: self.device='cuda' self.gpu_id=${gpuIdOf(ctx, rank)} os.environ.get('CUDA_VISIBLE_DEVICES')=${visible} self.tp_rank=${rank} self.tp_size=${tp}`, 'warning');
    }
    dieFromSchedulerException(log, ctx.tree, missing, invalidOrdinalTraceback(), 'loading');
  }
  // An NCCL/Gloo rendezvous that never completes (a peer that never joins) prints nothing, forever.
  if (ctx.env.fails.has('hang-rendezvous')) await hangForever();
  await sleepSim(ctx.env, PHASE_S.distInit * 0.6);
  const peers = tp - 1;
  const gloo = (rank: number, count: number) => `[Gloo] Rank ${rank} is connected to ${count} peer ranks. Expected number of connected peer ranks is : ${count}\n`;
  if (tp > 1) for (let round = 0; round < 2; round += 1) for (let rank = 0; rank < tp; rank += 1) log.raw(gloo(rank, peers));
  for (let index = 0; index < (tp > 1 ? tp : 2); index += 1) log.raw(gloo(0, 0));
  if (tp > 1) log.rank(0, 'sglang is using nccl==2.27.3');
  await sleepSim(ctx.env, PHASE_S.distInit * 0.4);
  log.rank(0, `Init torch distributed ends. mem usage=${fmt2(ctx.plan.distUsageGiB)} GB`);
  ctx.onHeld?.({});
}

function headsAssertion(model: ModelDir, tp: number): string | undefined {
  if (model.numHeads % tp !== 0) return 'assert self.total_num_heads % tp_size == 0';
  if (model.numKvHeads >= tp && model.numKvHeads % tp !== 0) return 'assert self.total_num_kv_heads % tp_size == 0';
  if (model.numKvHeads < tp && tp % model.numKvHeads !== 0) return 'assert tp_size % self.total_num_kv_heads == 0';
  return undefined;
}

/** Returns the simulated seconds spent loading weights. */
async function loadWeights(ctx: StartupContext, tp: number): Promise<number> {
  const { log, plan, model, env } = ctx;
  log.rank(0, `Load weight begin. avail mem=${fmt2(plan.loadBeginAvailGiB)} GB`);
  await sleepSim(env, PHASE_S.modelInit);
  const assertion = headsAssertion(model, tp);
  if (assertion) {
    const ranks = Array.from({ length: tp }, (_, rank) => rank);
    dieFromSchedulerException(log, ctx.tree, ranks, headsAssertTraceback(model.architecture, assertion), 'loading');
  }
  const total = model.shardCount;
  const oomShard = env.fails.has('oom-weights') ? Math.floor(total / 2) : plan.weightOomShard;
  const bar = new StatusPrinter((text) => log.raw(text));
  let elapsedS = 0;
  bar.print(formatShardBar('safetensors', { n: 0, total, elapsedS }));
  for (let shard = 0; shard < total; shard += 1) {
    const seconds = PHASE_S.shard * jitter(shard, 0.04);
    await sleepSim(env, seconds);
    elapsedS += seconds;
    if (shard === oomShard) {
      const tryMiB = Math.max(112, Math.round(((plan.weightsGiB * 1024) / total / 4) * 4) / 4);
      dieFromSchedulerException(log, ctx.tree, [0], weightsOomTraceback(model.architecture, cudaOomMessage(tryMiB, plan.capacityGiB)), 'loading');
    }
    bar.print(formatShardBar('safetensors', { n: shard + 1, total, elapsedS }));
  }
  bar.print(formatShardBar('safetensors', { n: total, total, elapsedS: elapsedS + 0.05 }));
  bar.close();
  ctx.onHeld?.({ weights: true });
  log.rank(0, `Load weight end. type=${model.architecture}, dtype=${ctx.modelDtype}, avail mem=${fmt2(plan.loadEndAvailGiB)} GB, mem usage=${fmt2(plan.weightsGiB)} GB.`);
  return elapsedS + PHASE_S.modelInit;
}

async function allocateKvCache(ctx: StartupContext, tp: number): Promise<void> {
  const { log, plan, env } = ctx;
  log.rank(0, `Using KV cache dtype: ${ctx.kvDtype}`);
  if (env.fails.has('not-enough-memory') || plan.maxTotalNumTokens <= 0) {
    const fraction = ctx.args.get('mem_fraction_static');
    dieFromSchedulerException(log, ctx.tree, [0], notEnoughMemoryTraceback(pyRepr(fraction)), 'loading');
  }
  await sleepSim(env, PHASE_S.kvAlloc);
  const sizes = ctx.model.mlaKvDim !== undefined ? `KV size: ${fmt2(plan.kvSizeGiB)} GB` : `K size: ${fmt2(plan.kvSizeGiB / 2)} GB, V size: ${fmt2(plan.kvSizeGiB / 2)} GB`;
  ctx.onHeld?.({ kvCache: true, kvOverhead: true });
  for (const rank of rankOrder(tp, 1)) log.rank(rank, `KV Cache is allocated. #tokens: ${plan.maxTotalNumTokens}, ${sizes}`);
  log.rank(0, `Memory pool end. avail mem=${fmt2(plan.poolEndAvailGiB)} GB`);
}

async function captureCudaGraphs(ctx: StartupContext, tp: number): Promise<void> {
  const { log, plan, env, args } = ctx;
  const sizes = args.intList('cuda_graph_bs').sort((a, b) => a - b);
  await sleepSim(env, PHASE_S.graphSetup);
  log.rank(0, `Capture cuda graph begin. This can take up to several minutes. avail mem=${fmt2(plan.graphBeginAvailGiB)} GB`);
  log.rank(0, `Capture cuda graph bs [${sizes.join(', ')}]`);
  const compileMaxBs = args.bool('enable_torch_compile') ? (args.num('torch_compile_max_bs') ?? 32) : 0;
  const order = [...sizes].reverse();
  const total = order.length;
  // Of the graph memory, ~12% goes before the first capture and ~25% after the bar (all-reduce buffers).
  const barStart = plan.graphBeginAvailGiB - plan.graphMemGiB * (tp > 1 ? 0.12 : 0);
  const barEnd = plan.graphEndAvailGiB + plan.graphMemGiB * (tp > 1 ? 0.25 : 0);
  const step = (barStart - barEnd) / Math.max(1, total - 1);
  const failAt = env.fails.has('oom-graphs') ? Math.floor(total / 3) : -1;
  const bar = new StatusPrinter((text) => log.raw(text));
  let elapsedS = 0;
  let desc = '';
  bar.print(formatDefaultBar('', { n: 0, total, elapsedS }));
  for (const [index, bs] of order.entries()) {
    desc = `Capturing batches (bs=${bs} avail_mem=${fmt2(barStart - step * index)} GB)`;
    bar.print(formatDefaultBar(desc, { n: index, total, elapsedS }));
    const seconds = bs <= compileMaxBs ? PHASE_S.torchCompile * jitter(bs, 0.15) : PHASE_S.graphCapture * jitter(bs, 0.05);
    // torch.compile is silent while it works; one that never finishes looks exactly like this.
    if (bs <= compileMaxBs && env.fails.has('hang-compile')) await hangForever();
    await sleepSim(env, seconds);
    elapsedS += seconds;
    if (index === failAt) {
      bar.close();
      const oom = cudaOomMessage(Math.max(20, bs * 0.4375), plan.capacityGiB);
      dieFromSchedulerException(log, ctx.tree, [0], graphOomTraceback(oom), 'loading');
    }
    bar.print(formatDefaultBar(desc, { n: index + 1, total, elapsedS }));
  }
  bar.print(formatDefaultBar(desc, { n: total, total, elapsedS }));
  bar.close();
  if (tp > 1 && !args.bool('disable_custom_all_reduce')) {
    const addresses = total * 2 * ctx.model.numLayers - 8;
    for (const rank of rankOrder(tp, 2)) log.rank(rank, `Registering ${addresses} cuda graph addresses`);
  }
  ctx.onHeld?.({ graphs: true });
  log.rank(0, `Capture cuda graph end. Time elapsed: ${fmt2(elapsedS + 0.4)} s. mem usage=${fmt2(plan.graphMemGiB)} GB. avail mem=${fmt2(plan.graphEndAvailGiB)} GB.`);
}

/** Runs every scheduler phase; resolves with the simulated weight-loading seconds. */
export async function runSchedulerStartup(ctx: StartupContext): Promise<number> {
  const { log, args, env, plan } = ctx;
  const tp = args.num('tp_size') ?? 1;
  await sleepSim(env, PHASE_S.schedulerSpawn);
  if (ctx.quant.notice) {
    for (let round = 0; round < 2; round += 1) for (const rank of rankOrder(tp, round * 3)) log.rank(rank, ctx.quant.notice);
  }
  await initDistributed(ctx, tp);
  const loadWeightsS = await loadWeights(ctx, tp);
  await allocateKvCache(ctx, tp);
  const graphs = !args.bool('disable_cuda_graph');
  if (graphs) await captureCudaGraphs(ctx, tp);
  await sleepSim(env, PHASE_S.schedulerReady);
  const avail = graphs ? plan.graphEndAvailGiB : plan.poolEndAvailGiB;
  log.rank(
    0,
    `max_total_num_tokens=${plan.maxTotalNumTokens}, chunked_prefill_size=${args.num('chunked_prefill_size')}, ` +
      `max_prefill_tokens=${args.num('max_prefill_tokens')}, max_running_requests=${plan.maxRunningRequests}, ` +
      `context_len=${ctx.contextLen}, available_gpu_mem=${fmt2(avail)} GB`,
  );
  return loadWeightsS;
}

/** Never resolves, and keeps the process alive (a timer) while it waits: a hang, not an exit. */
function hangForever(): Promise<never> {
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
}
