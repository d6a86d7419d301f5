// `/release_memory_occupation` and `/resume_memory_occupation` as SGLang 0.5.3.post1 does them (see
// docs/sglang-memory-occupation.md and README.md, "Memory occupation"): the scheduler's `offload_tags` set,
// torch_memory_saver's pause/resume (only with --enable-memory-saver), the radix-cache flush, the ways it
// dies (KeyError → SIGQUIT → whole tree; tms `exit(1)` → scheduler gone, HTTP up, calls hang) and the GPU
// memory each rank holds, published for the fake nvidia-smi.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GpuMemoryRegistry } from './gpu-memory-registry.js';
import { isJsonContentType, jsonInvalidRepr, pyReprJson, readBody, sendJson, sendValidationError } from './http-io.js';
import { rankFootprintMiB, type HeldMemory, type MemoryPlan } from './memory-plan.js';
import { dieFromSchedulerException } from './shutdown.js';
import type { SimApp } from './sim-context.js';
import { sleepSim } from './sim-env.js';
import { resumeKeyErrorTraceback } from './tracebacks.js';

export const TAG_WEIGHTS = 'weights';
export const TAG_KV_CACHE = 'kv_cache';
type Region = typeof TAG_WEIGHTS | typeof TAG_KV_CACHE;

/** Simulated seconds (× SGLANG_SIM_TIME_SCALE). The copies run on every rank in parallel. */
export const MEMORY_TIMING = {
  /** Release: control round trip, cuMemUnmap/cuMemRelease, flush, buffer clones. */
  releaseFixedS: 0.2,
  /** Resume: cuMemCreate/cuMemMap of every allocation, buffer restore. */
  resumeFixedS: 0.3,
  /** Pinned host ⇄ device copy of the weights (`--enable-weights-cpu-backup`), per rank, GiB per second. */
  copyGiBPerS: 12,
} as const;

/** `[torch_memory_saver.cpp] …` lines: plain stderr from C++, then `exit(1)` of the scheduler process. */
const TMS_OOM_LINE = '[torch_memory_saver.cpp] CUresult error: 2 (out of memory)  file=csrc/utils.h func=cu_mem_create line=194';

/** core.cpp @ tms 0.0.9rc2: the pause guard (line 228) and the resume guard (line 298); `ptr` is printed as a decimal. */
function tmsGuardLine(kind: 'pause' | 'resume', tag: Region, rank: number): string {
  const ptr = (0x7f0000000000 + rank * 0x10000000000 + (tag === TAG_WEIGHTS ? 0x2000000 : 0x480000000)).toString();
  return kind === 'pause'
    ? `[torch_memory_saver.cpp] Cannot pause allocation that is not active. tag=${tag} ptr=${ptr} file=csrc/core.cpp func=pause line=228`
    : `[torch_memory_saver.cpp] Cannot resume allocation that is not paused.  tag=${tag} ptr=${ptr} file=csrc/core.cpp func=resume line=298`;
}

/** One scheduler rank as nvidia-smi sees it. */
export interface RankProcess {
  rank: number;
  pid: number | undefined;
  processName: string;
  /** The GPU as a CUDA_VISIBLE_DEVICES entry (index or UUID); the ordinal itself when that is unset. */
  gpu: string;
}

/** The GPU of `rank`: `--base-gpu-id + rank × --gpu-id-step`, through CUDA_VISIBLE_DEVICES. */
export function rankGpu(ordinal: number, cudaVisibleDevices: string | undefined): string {
  if (cudaVisibleDevices === undefined) return String(ordinal);
  const entries = cudaVisibleDevices.split(',').map((entry) => entry.trim());
  return entries[ordinal] ?? String(ordinal);
}

/** The scheduler's memory state: offload_tags, what torch_memory_saver paused, what each rank holds. */
export class MemoryOccupation {
  /** `Scheduler.offload_tags` */
  readonly offloadTags = new Set<string>();
  /** Regions torch_memory_saver has unmapped (memory saver on only). */
  readonly paused = new Set<Region>();
  /** The scheduler processes exited through C `exit(1)` (tms error): nothing answers any more. */
  schedulerGone = false;
  /** When the last control reply reached the tokenizer (part of last_receive_tstamp); epoch ms. */
  lastReplyMs = 0;
  private readonly held: HeldMemory = { weights: false, kvCache: false, kvOverhead: false, graphs: false };
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly plan: MemoryPlan,
    readonly ranks: readonly RankProcess[],
    private readonly registry: GpuMemoryRegistry,
  ) {}

  /** A load phase or a release/resume changed what every rank holds. */
  hold(change: Partial<HeldMemory>): void {
    Object.assign(this.held, change);
    this.publish();
  }

  /** Republishes the registry: every live rank with its footprint. */
  publish(): void {
    if (this.schedulerGone) return this.registry.publish([]);
    const usedMiB = rankFootprintMiB(this.plan, this.held);
    this.registry.publish(this.ranks.flatMap(({ pid, processName, gpu }) => (pid === undefined ? [] : [{ pid, processName, gpu, usedMiB }])));
  }

  /** The scheduler's control requests run one after another (one in flight per communicator, one loop). */
  serialize(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** `tags` after pydantic validation (null = not given). */
type MemoryRequest = { tags: string[] | null } | { errors: string };

/** Python repr of the raw bytes FastAPI passes on when the content type is not JSON. */
function pyBytesRepr(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (String.fromCharCode(byte) === quote) out += `\\${quote}`;
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `b${quote}${out}${quote}`;
}

function fastApiJsonBody(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (type === undefined || type.trim() === '') return true;
  if (isJsonContentType(req)) return true;
  const [mediaType = ''] = type.split(';');
  const [main, sub = ''] = mediaType.trim().toLowerCase().split('/');
  return main === 'application' && sub.endsWith('+json');
}

/**
 * FastAPI + pydantic on `obj: ReleaseMemoryOccupationReqInput` (a dataclass body: `tags: Optional[List[str]]`,
 * `rid: Optional[Union[str, List[str]]]`, extra keys ignored). Errors come back as SGLang's 400 message, the
 * `exc.errors()` repr.
 */
export async function readMemoryRequest(req: IncomingMessage, className: string): Promise<MemoryRequest> {
  const text = await readBody(req);
  const missing = "[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]";
  if (text === '') return { errors: missing };
  const dataclassType = (input: string) =>
    `[{'type': 'dataclass_type', 'loc': ('body',), 'msg': 'Input should be a dictionary or an instance of ${className}', 'input': ${input}, 'ctx': {'class_name': '${className}'}}]`;
  if (!fastApiJsonBody(req)) return { errors: dataclassType(pyBytesRepr(text)) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { errors: jsonInvalidRepr() };
  }
  if (body === null) return { errors: missing };
  if (typeof body !== 'object' || Array.isArray(body)) return { errors: dataclassType(pyReprJson(body)) };
  const fields = body as Record<string, unknown>;
  const errors: string[] = [];
  const stringType = (loc: string, input: unknown) => `{'type': 'string_type', 'loc': ${loc}, 'msg': 'Input should be a valid string', 'input': ${pyReprJson(input)}}`;
  const listType = (loc: string, input: unknown) => `{'type': 'list_type', 'loc': ${loc}, 'msg': 'Input should be a valid list', 'input': ${pyReprJson(input)}}`;
  const { tags, rid } = fields;
  if (tags !== undefined && tags !== null) {
    if (!Array.isArray(tags)) errors.push(listType("('body', 'tags')", tags));
    else tags.forEach((tag, index) => typeof tag !== 'string' && errors.push(stringType(`('body', 'tags', ${index})`, tag)));
  }
  if (rid !== undefined && rid !== null && typeof rid !== 'string') {
    errors.push(stringType("('body', 'rid', 'str')", rid));
    if (!Array.isArray(rid)) errors.push(listType("('body', 'rid', 'list[str]')", rid));
    else rid.forEach((item, index) => typeof item !== 'string' && errors.push(stringType(`('body', 'rid', 'list[str]', ${index})`, item)));
  }
  if (errors.length > 0) return { errors: `[${errors.join(', ')}]` };
  return { tags: Array.isArray(tags) ? (tags as string[]) : null };
}

/** `tags is None or len(tags) == 0` → weights and kv_cache. */
function effectiveTags(tags: string[] | null): string[] {
  return tags === null || tags.length === 0 ? [TAG_WEIGHTS, TAG_KV_CACHE] : tags;
}

function rankNumbers(app: SimApp): number[] {
  return app.memory.ranks.map((rank) => rank.rank);
}

/**
 * torch_memory_saver's C++ `exit(1)` in every scheduler rank: its line on stderr, the scheduler processes
 * vanish (their GPU memory with them), no SIGQUIT. Nothing on the HTTP side notices: the call in flight and
 * every later one that needs the scheduler waits forever.
 */
function schedulerExits(app: SimApp, line: (rank: number) => string): void {
  for (const rank of rankNumbers(app)) app.log.raw(`${line(rank)}\n`);
  app.memory.schedulerGone = true;
  app.scheduler.hung = true;
  for (const { pid } of app.memory.ranks) if (pid !== undefined) app.tree.killChild(pid);
  app.memory.publish();
}

/** Scheduler.flush_cache(): every rank logs its own line. */
function flushCache(app: SimApp): void {
  const { running, queued } = app.scheduler.counts();
  for (const rank of rankNumbers(app)) {
    if (running + queued === 0) app.log.rank(rank, 'Cache flushed successfully!');
    else app.log.rank(rank, `Cache not flushed because there are pending requests. #queue-req: ${queued}, #running-req: ${running}`, 'warning');
  }
}

function reply(app: SimApp, res: ServerResponse): void {
  app.memory.lastReplyMs = performance.timeOrigin + performance.now();
  if (!res.destroyed) sendJson(res, 200, null);
}

/** scheduler_update_weights_mixin.release_memory_occupation @ 0.5.3.post1 (no idle check, no synchronize). */
async function release(app: SimApp, tags: string[], res: ServerResponse): Promise<void> {
  const memory = app.memory;
  const saver = app.args.bool('enable_memory_saver');
  const done = app.scheduler.holdForControl();
  for (const tag of tags) memory.offloadTags.add(tag);
  if (tags.includes(TAG_KV_CACHE)) {
    if (saver) {
      if (memory.paused.has(TAG_KV_CACHE)) return schedulerExits(app, (rank) => tmsGuardLine('pause', TAG_KV_CACHE, rank));
      memory.paused.add(TAG_KV_CACHE);
      memory.hold({ kvCache: false });
    }
    flushCache(app);
  }
  let seconds = MEMORY_TIMING.releaseFixedS;
  const releaseWeights = saver && tags.includes(TAG_WEIGHTS);
  if (releaseWeights) {
    if (memory.paused.has(TAG_WEIGHTS)) return schedulerExits(app, (rank) => tmsGuardLine('pause', TAG_WEIGHTS, rank));
    memory.paused.add(TAG_WEIGHTS);
    if (app.args.bool('enable_weights_cpu_backup')) seconds += app.plan.weightsGiB / MEMORY_TIMING.copyGiBPerS;
  }
  await sleepSim(app.env, seconds);
  if (releaseWeights) memory.hold({ weights: false });
  reply(app, res);
  done();
}

/** scheduler_update_weights_mixin.resume_memory_occupation @ 0.5.3.post1: tags leave offload_tags first. */
async function resume(app: SimApp, tags: string[], res: ServerResponse): Promise<void> {
  const memory = app.memory;
  const saver = app.args.bool('enable_memory_saver');
  const done = app.scheduler.holdForControl();
  for (const tag of tags) {
    if (!memory.offloadTags.has(tag)) {
      dieFromSchedulerException(app.log, app.tree, rankNumbers(app), resumeKeyErrorTraceback(tag), 'running');
    }
    memory.offloadTags.delete(tag);
  }
  let seconds = MEMORY_TIMING.resumeFixedS;
  // Weights first, then the KV cache, as the handler does.
  for (const region of [TAG_WEIGHTS, TAG_KV_CACHE] as const) {
    if (!saver || !tags.includes(region)) continue;
    if (!memory.paused.has(region)) return schedulerExits(app, (rank) => tmsGuardLine('resume', region, rank));
    if (app.env.fails.has('oom-resume')) return schedulerExits(app, () => TMS_OOM_LINE);
    memory.paused.delete(region);
    if (region === TAG_KV_CACHE) {
      memory.hold({ kvCache: true });
      continue;
    }
    memory.hold({ weights: true });
    // lose-cpu-backup: as without the flag, though it was given (how a test reaches that state with a launch that always passes it).
    if (app.args.bool('enable_weights_cpu_backup') && !app.env.fails.has('lose-cpu-backup')) seconds += app.plan.weightsGiB / MEMORY_TIMING.copyGiBPerS;
    // Fresh physical pages with nothing copied back: the parameters are undefined until a weight update.
    else app.scheduler.garbageWeights = true;
  }
  await sleepSim(app.env, seconds);
  reply(app, res);
  done();
}

/** A request that needs the scheduler, once the scheduler is gone: accepted, never answered. */
export function waitForever(): Promise<void> {
  return new Promise<void>(() => undefined);
}

async function handleMemoryRoute(app: SimApp, req: IncomingMessage, res: ServerResponse, kind: 'release' | 'resume'): Promise<void> {
  const className = kind === 'release' ? 'ReleaseMemoryOccupationReqInput' : 'ResumeMemoryOccupationReqInput';
  const parsed = await readMemoryRequest(req, className);
  if ('errors' in parsed) return sendValidationError(res, parsed.errors);
  const tags = effectiveTags(parsed.tags);
  await app.memory.serialize(async () => {
    if (app.memory.schedulerGone) return waitForever();
    return kind === 'release' ? release(app, tags, res) : resume(app, tags, res);
  });
}

export function handleReleaseMemoryOccupation(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return handleMemoryRoute(app, req, res, 'release');
}

export function handleResumeMemoryOccupation(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return handleMemoryRoute(app, req, res, 'resume');
}

/** A forward pass now would read unmapped pages (memory saver on, a region paused): illegal memory access. */
export function forwardFaults(app: SimApp): boolean {
  return app.args.bool('enable_memory_saver') && app.memory.paused.size > 0;
}
