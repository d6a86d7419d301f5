import type { Catalog, ModelEntry } from './catalog-schema.js';

/** What to exec for one model: argv (never a shell string), the variables to add, where it will serve. */
export interface Launch {
  modelId: string;
  argv: string[];
  /** Only the catalog's variables; the caller layers them over its own environment. */
  env: Record<string, string>;
  host: string;
  port: number;
}

export interface LaunchOverrides {
  /** Serve on this port instead of backend.port. */
  port?: number;
  /** Bind this host instead of backend.host. */
  host?: string;
}

/**
 * The command for `model`. Launch models get SGLang's flags in a fixed order, extraArgs last
 * (argparse lets a later flag win, so extraArgs can refine but validation forbids the managed
 * ones). Script models run the script as is; host and port are then the script's business.
 */
export function buildLaunch(model: ModelEntry, catalog: Catalog, opts: LaunchOverrides = {}): Launch {
  const host = opts.host ?? catalog.backend.host;
  const port = opts.port ?? catalog.backend.port;
  const env: Record<string, string> = { ...catalog.sglang.env, ...model.env };
  if (model.gpus !== undefined) env.CUDA_VISIBLE_DEVICES = model.gpus.join(',');
  const argv = model.script !== undefined ? [model.script] : [...catalog.sglang.command, ...sglangArgs(model, host, port)];
  return { modelId: model.id, argv, env, host, port };
}

function sglangArgs(model: ModelEntry, host: string, port: number): string[] {
  if (model.modelPath === undefined) throw new Error(`model ${model.id} has neither modelPath nor script`);
  const args = ['--model-path', model.modelPath, '--host', host, '--port', String(port), '--tp', String(model.tp)];
  if (model.contextLength !== undefined) args.push('--context-length', String(model.contextLength));
  if (model.quantization !== undefined) args.push('--quantization', model.quantization);
  args.push('--served-model-name', model.id);
  if (model.memFractionStatic !== undefined) args.push('--mem-fraction-static', String(model.memFractionStatic));
  if (model.torchCompile) args.push('--enable-torch-compile');
  // Warm: the server can release its GPU memory and take it back, weights restored from host RAM.
  if (model.switchMode === 'warm') args.push('--enable-memory-saver', '--enable-weights-cpu-backup');
  return [...args, ...model.extraArgs];
}
