import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import { checkCatalogLifecycle } from './check-catalog-lifecycle.js';
import { formatFieldPath, type PathSegment } from './format-field-path.js';
import type { IssueCollector } from './issue-collector.js';

/** Checks that need no file system: names, ports, GPUs, flags, slots, preload and pinning. */
export function checkCatalogRules(catalog: Catalog, out: IssueCollector): void {
  checkNamesUnique(catalog.models, out);
  checkPorts(catalog, out);
  checkCatalogLifecycle(catalog, out);
  catalog.models.forEach((model, i) => {
    checkGpus(model, i, catalog, out);
    checkPowerProfile(model, i, out);
    if (model.memFractionStatic !== undefined && model.memFractionStatic > 0.95) {
      out.warning(['models', i, 'memFractionStatic'], `${model.memFractionStatic} leaves almost no GPU memory for activations and CUDA graphs; expect out-of-memory errors`);
    }
    if (model.maxQueued !== undefined && model.maxConcurrent === undefined) {
      out.warning(['models', i, 'maxQueued'], 'is ignored without maxConcurrent (no limit, so no request ever waits for a free place)');
    }
    if (model.upstream !== undefined) checkUpstreamModel(model, i, out);
    else if (model.script !== undefined) checkScriptModel(model, i, out);
    else checkLaunchModel(model, i, out);
  });
}

function checkNamesUnique(models: ModelEntry[], out: IssueCollector): void {
  const owners = new Map<string, string>();
  models.forEach((model, i) => {
    const names: [string, PathSegment[]][] = [[model.id, ['models', i, 'id']], ...model.aliases.map((alias, j): [string, PathSegment[]] => [alias, ['models', i, 'aliases', j]])];
    for (const [name, path] of names) {
      const owner = owners.get(name);
      if (owner !== undefined) out.error(path, `"${name}" is already used by ${owner}`);
      else owners.set(name, formatFieldPath(path));
    }
  });
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '*', '']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function hostsOverlap(a: string, b: string): boolean {
  if (WILDCARD_HOSTS.has(a) || WILDCARD_HOSTS.has(b) || a === b) return true;
  return (a === 'localhost' && LOOPBACK_HOSTS.has(b)) || (b === 'localhost' && LOOPBACK_HOSTS.has(a));
}

function checkPorts({ router, backend, models }: Catalog, out: IssueCollector): void {
  if (!hostsOverlap(router.host, backend.host)) return;
  if (router.port === backend.port) {
    out.error(['backend', 'port'], `same port as router.port (${router.port}) on an overlapping host; pick another port`);
  }
  models.forEach((model, i) => {
    if (model.port === router.port && model.upstream === undefined) {
      out.error(['models', i, 'port'], `same port as router.port (${router.port}) on an overlapping host; pick another port`);
    }
  });
}

function checkGpus(model: ModelEntry, i: number, catalog: Catalog, out: IssueCollector): void {
  if (model.gpus === undefined) return;
  const seen = new Set<number>();
  model.gpus.forEach((gpu, j) => {
    if (seen.has(gpu)) out.error(['models', i, 'gpus', j], `GPU ${gpu} is listed twice`);
    seen.add(gpu);
  });
  if (model.script === undefined && model.upstream === undefined && model.tp > seen.size) {
    out.error(['models', i, 'tp'], `must be ≤ number of GPUs (${seen.size})`);
  }
  for (const [where, env] of [
    ['env', model.env],
    ['sglang.env', catalog.sglang.env],
  ] as const) {
    if (env.CUDA_VISIBLE_DEVICES !== undefined) {
      out.error(['models', i, 'gpus'], `conflicts with ${where}.CUDA_VISIBLE_DEVICES; set only one of them`);
    }
  }
}

/** Per-GPU limits must name the model's own GPUs: a profile changing another model's GPUs is a typo. */
function checkPowerProfile(model: ModelEntry, i: number, out: IssueCollector): void {
  const profile = model.powerLimitW;
  if (profile === undefined || typeof profile === 'number' || model.upstream !== undefined) return;
  const own = model.gpus ?? Array.from({ length: model.tp }, (_, k) => k);
  for (const key of Object.keys(profile)) {
    if (!own.includes(Number(key))) out.warning(['models', i, 'powerLimitW', Number(key)], `GPU ${key} is not one of this model's GPUs (${own.join(', ')})`);
  }
}

const MANAGED_FLAGS: Record<string, string> = {
  '--host': 'switchboard sets it from backend.host',
  '--port': 'use port, or leave it to backend.portRange',
  '--model-path': 'use modelPath',
  '--model': 'use modelPath',
  '--served-model-name': 'switchboard sets it to the model id',
  '--tp': 'use tp',
  '--tp-size': 'use tp',
  '--tensor-parallel-size': 'use tp',
  '--context-length': 'use contextLength',
  '--quantization': 'use quantization',
  '--mem-fraction-static': 'use memFractionStatic',
  '--enable-torch-compile': 'use torchCompile: true',
  '--enable-memory-saver': 'use switchMode: warm',
  '--enable-weights-cpu-backup': 'use switchMode: warm',
};

function checkLaunchModel(model: ModelEntry, i: number, out: IssueCollector): void {
  model.extraArgs.forEach((arg, j) => {
    const [flag = arg] = arg.split('=', 1);
    const hint = MANAGED_FLAGS[flag];
    if (hint) out.error(['models', i, 'extraArgs', j], `${flag} does not belong in extraArgs: ${hint}`);
  });
  // torch_memory_saver refuses to start under expandable segments (torch_memory_saver/entrypoint.py, 0.0.9rc2).
  if (model.switchMode === 'warm' && /expandable_segments:\s*True/i.test(model.env.PYTORCH_CUDA_ALLOC_CONF ?? '')) {
    out.error(['models', i, 'env', 'PYTORCH_CUDA_ALLOC_CONF'], 'expandable_segments:True cannot be used with switchMode: warm (torch_memory_saver refuses to start with it)');
  }
  const path = model.modelPath ?? '';
  if (path.startsWith('~')) {
    out.error(['models', i, 'modelPath'], 'no shell expands "~" here; write the full path');
  } else if (!path.startsWith('/') && !isHuggingFaceId(path)) {
    out.error(['models', i, 'modelPath'], `"${path}" must be an absolute path or a Hugging Face repo id (org/name)`);
  }
}

/** `org/name` as SGLang accepts for downloading; anything else relative is ambiguous. */
export function isHuggingFaceId(path: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(path);
}

const LAUNCH_ONLY_FIELDS = ['contextLength', 'quantization', 'memFractionStatic'] as const;

function checkScriptModel(model: ModelEntry, i: number, out: IssueCollector): void {
  const script = model.script ?? '';
  if (!script.startsWith('/')) out.error(['models', i, 'script'], `"${script}" must be an absolute path`);
  const ignored = (field: string) => out.warning(['models', i, field], 'is ignored for script models (the script decides)');
  if (model.tp !== 1) ignored('tp');
  if (model.torchCompile) ignored('torchCompile');
  if (model.extraArgs.length > 0) ignored('extraArgs');
  // Sleeping needs the memory-saver flags, which only a launch the engine builds is sure to have.
  if (model.switchMode === 'warm')
    out.error(['models', i, 'switchMode'], 'warm needs a launch model (modelPath): a script decides its own flags, and a server without --enable-memory-saver frees nothing when put to sleep');
  for (const field of LAUNCH_ONLY_FIELDS) if (model[field] !== undefined) ignored(field);
}

/** Upstream models are served elsewhere: launch settings would silently do nothing. */
function checkUpstreamModel(model: ModelEntry, i: number, out: IssueCollector): void {
  const ignored = (field: string) => out.warning(['models', i, field], 'is ignored for upstream models (served elsewhere, never launched)');
  if (model.tp !== 1) ignored('tp');
  if (model.torchCompile) ignored('torchCompile');
  if (model.extraArgs.length > 0) ignored('extraArgs');
  if (model.gpus !== undefined) ignored('gpus');
  if (model.powerLimitW !== undefined) ignored('powerLimitW');
  if (model.port !== undefined) ignored('port');
  if (model.pinned) ignored('pinned');
  if (model.switchMode !== undefined) ignored('switchMode');
  if (model.idleUnloadS !== undefined) ignored('idleUnloadS');
  if (Object.keys(model.env).length > 0) ignored('env');
  for (const field of LAUNCH_ONLY_FIELDS) if (model[field] !== undefined) ignored(field);
}
