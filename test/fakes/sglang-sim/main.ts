// Entry point of the SGLang simulator: `python -m sglang.launch_server ARGS`, faithfully faked.
import { appendFileSync } from 'node:fs';
import { ConfigFileError, mergeConfigFile } from './config-file.js';
import { GpuMemoryRegistry } from './gpu-memory-registry.js';
import { serveHttp } from './lifespan.js';
import { parseLogLevel, SimLogger } from './log-writer.js';
import { forwardFaults, MemoryOccupation, rankGpu, type RankProcess } from './memory-occupation.js';
import { planMemory } from './memory-plan.js';
import { SimMetrics } from './metrics-text.js';
import { ModelDirError, readModelDir, type ModelDir, type ModelDirProblem } from './model-dir.js';
import { formatArgparseError, formatHelp, parseArgs } from './parse-args.js';
import { ProcessTree } from './process-tree.js';
import type { PyValue } from './python-repr.js';
import { chooseKvDtype, chooseModelDtype, chooseQuantization } from './quantization.js';
import { Scheduler } from './scheduler.js';
import { resolveServerArgs, type ServerArgs } from './server-args-repr.js';
import { dieFromSchedulerException, exitWithTraceback } from './shutdown.js';
import type { SimApp } from './sim-context.js';
import { readSimEnv, sleepSim, type SimEnv } from './sim-env.js';
import { PHASE_S, runSchedulerStartup } from './startup.js';
import { healthTimeoutImportTraceback, mainValueErrorTraceback, modelConfigTraceback, runtimeCrashTraceback, traceback } from './tracebacks.js';

function appendLaunchLog(env: SimEnv, argv: readonly string[]): void {
  if (env.launchLogPath === undefined) return;
  appendFileSync(env.launchLogPath, JSON.stringify({ pid: process.pid, argv, atMs: Date.now() }) + '\n');
}

/** argparse: prints usage/errors and exits (0 for -h, 2 for errors); --config problems exit 1. */
function parseCliOrExit(argv: readonly string[]): Map<string, PyValue> {
  let merged: string[];
  try {
    merged = mergeConfigFile(argv);
  } catch (error) {
    const message = error instanceof ConfigFileError ? error.message : String(error);
    return exitWithTraceback(
      undefined,
      traceback([['/sgl-workspace/sglang/python/sglang/srt/server_args_config_parser.py', 43, 'merge_config_with_args', 'raise ValueError(']], `ValueError: ${message}`),
    );
  }
  const outcome = parseArgs(merged);
  if (outcome.kind === 'help') {
    process.stdout.write(formatHelp());
    process.exit(0);
  }
  if (outcome.kind === 'error') {
    process.stderr.write(formatArgparseError(outcome.message));
    process.exit(2);
  }
  return outcome.values;
}

function readModelOrExit(modelPath: string): ModelDir {
  try {
    return readModelDir(modelPath);
  } catch (error) {
    if (!(error instanceof ModelDirError)) throw error;
    const messages: Record<ModelDirProblem, string> = {
      'not-found':
        `OSError: ${modelPath} is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'\n` +
        'If this is a private repository, make sure to pass a token having permission to this repo either by logging in with `hf auth login` or by passing `token=<your_token>`',
      'no-config': `OSError: ${modelPath} does not appear to have a file named config.json. Checkout 'https://huggingface.co/${modelPath}/tree/None' for available files.`,
      'bad-json': `OSError: It looks like the config file at '${modelPath}/config.json' is not a valid JSON file.`,
    };
    return exitWithTraceback(undefined, modelConfigTraceback(messages[error.problem]));
  }
}

/** ValueErrors of ModelConfig: too long --context-length, contradicting --quantization. */
function modelConfigError(env: SimEnv, args: ServerArgs, model: ModelDir, mismatch: string | undefined): string | undefined {
  const requested = args.num('context_length');
  if (requested !== null && requested > model.derivedContextLen && !env.allowLongerContext) {
    return (
      `ValueError: Warning: User-specified context_length (${requested}) is greater than the derived context_length (${model.derivedContextLen}). ` +
      "This may lead to incorrect model outputs or CUDA errors. Note that the derived context_length may differ from max_position_embeddings in the model's config. " +
      'To allow overriding this maximum, set the env var SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1'
    );
  }
  return mismatch === undefined ? undefined : `ValueError: ${mismatch}`;
}

function chatTemplateLine(args: ServerArgs, model: ModelDir): string {
  const template = args.str('chat_template');
  if (template !== null) return `Loading chat template from argument: ${template}`;
  return model.hasChatTemplate ? 'Using default HuggingFace chat template with detected content format: string' : "No chat template found, defaulting to 'string' content format";
}

export async function main(argv: readonly string[]): Promise<void> {
  const env = readSimEnv(process.env);
  appendLaunchLog(env, argv);
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  await sleepSim(env, PHASE_S.pythonImport);
  // launch_server.py imports http_server (HEALTH_CHECK_TIMEOUT = int(os.getenv(...))) before argparse runs.
  const healthTimeout = env.healthCheckTimeout;
  if (typeof healthTimeout !== 'number') exitWithTraceback(undefined, healthTimeoutImportTraceback(healthTimeout.invalid));
  const parsed = parseCliOrExit(argv);
  const model = readModelOrExit(String(parsed.get('model_path')));
  const args = resolveServerArgs(parsed, env.gpuMemMiB);
  const quant = chooseQuantization(args.str('quantization'), model.quantMethod);
  const configError = modelConfigError(env, args, model, quant.mismatch);
  // Without --mem-fraction-static the model config is built during arg post-processing.
  if (configError && !parsed.has('mem_fraction_static')) exitWithTraceback(undefined, mainValueErrorTraceback(configError));
  const levelName = args.str('log_level') ?? 'info';
  const level = parseLogLevel(levelName);
  if (level === undefined) {
    exitWithTraceback(
      undefined,
      traceback(
        [['/sgl-workspace/sglang/python/sglang/srt/utils/common.py', 1004, 'configure_logger', 'level=getattr(logging, server_args.log_level.upper()),', true]],
        `AttributeError: module 'logging' has no attribute '${levelName.toUpperCase()}'`,
      ),
    );
  }
  const tp = args.num('tp_size') ?? 1;
  const log = new SimLogger({ level, httpLevel: parseLogLevel(args.str('log_level_http') ?? levelName) ?? level, tpSize: tp });
  const tree = new ProcessTree();
  log.main(`server_args=${args.repr()}`);
  const ranks: RankProcess[] = [];
  for (let rank = 0; rank < tp; rank += 1) {
    const processName = `sglang::scheduler${tp > 1 ? `_TP${rank}` : ''}`;
    const ordinal = (args.num('base_gpu_id') ?? 0) + rank * (args.num('gpu_id_step') ?? 1);
    ranks.push({ rank, pid: tree.spawnChild(processName), processName, gpu: rankGpu(ordinal, env.cudaVisibleDevices) });
  }
  tree.spawnChild('sglang::detokenizer');
  // The GPU memory each rank holds, for the fake nvidia-smi (only with FAKE_NVIDIA_SMI_STATE set).
  const registry = new GpuMemoryRegistry(env.nvidiaSmiStatePath);
  tree.onBeforeExit(() => registry.clear());
  process.on('exit', () => registry.clear());
  if (env.allowLongerContext && (args.num('context_length') ?? 0) > model.derivedContextLen) {
    log.main(
      `Warning: User-specified context_length (${args.num('context_length')}) is greater than the derived context_length (${model.derivedContextLen}). This may lead to incorrect model outputs or CUDA errors.`,
      'warning',
    );
  }
  await sleepSim(env, PHASE_S.mainModelConfig);
  if (configError) exitWithTraceback(tree, mainValueErrorTraceback(configError));
  if (quant.notice) log.main(quant.notice);
  await sleepSim(env, PHASE_S.chatTemplate);
  log.main(chatTemplateLine(args, model));

  const modelDtype = chooseModelDtype(args.str('dtype') ?? 'auto', model, quant.method);
  const kvDtype = chooseKvDtype(args.str('kv_cache_dtype') ?? 'auto', modelDtype);
  const contextLen = args.num('context_length') ?? model.derivedContextLen;
  const plan = planMemory({
    gpuMemMiB: env.gpuMemMiB,
    tpSize: tp,
    model,
    quant: quant.method,
    modelDtype,
    kvDtype,
    memFractionStatic: args.num('mem_fraction_static') ?? 0.88,
    contextLen,
    captureCount: args.bool('disable_cuda_graph') ? 0 : args.intList('cuda_graph_bs').length,
    maxTotalTokensFlag: args.num('max_total_tokens'),
    maxRunningRequestsFlag: args.num('max_running_requests'),
  });
  const startedAtMs = Date.now();
  const memory = new MemoryOccupation(plan, ranks, registry);
  const onHeld = memory.hold.bind(memory);
  const loadWeightsS = await runSchedulerStartup({ env, args, model, quant, modelDtype, kvDtype, plan, contextLen, log, tree, onHeld });

  const metrics = new SimMetrics();
  const scheduler = new Scheduler({
    tokensPerS: env.tokensPerS,
    decodeLogInterval: Math.max(1, args.num('decode_log_interval') ?? 40),
    maxTotalNumTokens: Math.max(1, plan.maxTotalNumTokens),
    maxRunningRequests: plan.maxRunningRequests,
    contextLen,
    cudaGraph: !args.bool('disable_cuda_graph'),
    cudaGraphMaxBs: args.num('cuda_graph_max_bs') ?? 0,
    metrics,
    log: (message) => log.rank(0, message),
    onCrash: () => {
      scheduler.hung = true;
      setTimeout(() => dieFromSchedulerException(log, tree, [0], runtimeCrashTraceback(), 'running'), 20);
    },
    forwardFaults: () => forwardFaults(app),
  });
  scheduler.hung = env.fails.has('never-ready');
  const app: SimApp = {
    env,
    args,
    log,
    model,
    plan,
    tree,
    scheduler,
    metrics,
    contextLen,
    status: 'Starting',
    gracefullyExiting: false,
    servedModelName: args.str('served_model_name') ?? '',
    startedAtMs,
    loadWeightsS,
    inFlight: new Set(),
    crashMidStream: env.fails.has('crash-mid-stream'),
    memory,
    healthCheckTimeoutS: healthTimeout,
  };
  await serveHttp(app);
}
