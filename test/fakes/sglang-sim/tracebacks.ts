// Python tracebacks the way SGLang 0.5.3 prints them for each failure (file paths of the
// official Docker image; line numbers are illustrative). Each text ends with a newline.

import { pyStrRepr } from './python-repr.js';

const SRT = '/sgl-workspace/sglang/python/sglang/srt';
const SITE = '/usr/local/lib/python3.12/dist-packages';

type Frame = readonly [file: string, line: number, func: string, code: string, caret?: boolean];

function renderFrames(frames: readonly Frame[]): string {
  return frames
    .map(([file, line, func, code, caret]) => {
      const head = `  File "${file}", line ${line}, in ${func}\n`;
      if (code === '') return head;
      const body = `    ${code}\n`;
      if (!caret) return head + body;
      // Python 3.12 underlines the failing call; nothing when that is the whole line.
      const call = code.match(/^(?:return |[\w.[\]]+(?:, [\w.]+)* = )?(.*?)(\($|$)/);
      const span = (call?.[1]?.length ?? code.length) + (call?.[2]?.length ?? 0);
      const start = code.length - span;
      if (start === 0) return head + body;
      return head + body + ' '.repeat(4 + start) + '^'.repeat(span) + '\n';
    })
    .join('');
}

export function traceback(frames: readonly Frame[], error: string): string {
  return `Traceback (most recent call last):\n${renderFrames(frames)}${error}\n`;
}

const SCHEDULER_INIT: readonly Frame[] = [
  [`${SRT}/managers/scheduler.py`, 2843, 'run_scheduler_process', 'scheduler = Scheduler(', true],
  [`${SRT}/managers/scheduler.py`, 312, '__init__', 'self.tp_worker = TpModelWorker(', true],
  [`${SRT}/managers/tp_worker.py`, 94, '__init__', 'self.model_runner = ModelRunner(', true],
];

const INITIALIZE: Frame = [`${SRT}/model_executor/model_runner.py`, 268, '__init__', 'self.initialize(min_per_gpu_memory)'];

const LOAD_MODEL: readonly Frame[] = [
  INITIALIZE,
  [`${SRT}/model_executor/model_runner.py`, 353, 'initialize', 'self.load_model()'],
  [`${SRT}/model_executor/model_runner.py`, 742, 'load_model', 'self.model = get_model(', true],
  [`${SRT}/model_loader/__init__.py`, 28, 'get_model', 'return loader.load_model(', true],
];

/** Python module of the model class, e.g. LlamaForCausalLM → llama. */
export function modelModule(architecture: string): string {
  const base = architecture.replace(/For(CausalLM|ConditionalGeneration)$/, '').replace(/Model$/, '');
  if (base === 'Mistral') return 'llama';
  return base.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() || 'llama';
}

/** `assert self.total_num_heads % tp_size == 0` (or the KV-head variant) in the attention __init__. */
export function headsAssertTraceback(architecture: string, assertion: string): string {
  const models = `${SRT}/models/${modelModule(architecture)}.py`;
  return traceback(
    [
      ...SCHEDULER_INIT,
      ...LOAD_MODEL,
      [`${SRT}/model_loader/loader.py`, 586, 'load_model', 'model = _initialize_model(', true],
      [`${SRT}/model_loader/loader.py`, 238, '_initialize_model', 'return model_class(', true],
      [models, 431, '__init__', 'self.model = self._init_model(config, quant_config, add_prefix("model", prefix))', true],
      [models, 483, '_init_model', 'return LlamaModel(config, quant_config=quant_config, prefix=prefix)', true],
      [models, 298, '__init__', 'self.layers, self.start_layer, self.end_layer = make_layers(', true],
      [`${SRT}/utils/common.py`, 530, 'make_layers', 'layer_fn(idx=idx, prefix=add_prefix(idx, prefix))', true],
      [models, 299, '<lambda>', 'lambda idx, prefix: LlamaDecoderLayer(', false],
      [models, 232, '__init__', 'self.self_attn = LlamaAttention(', true],
      [models, 139, '__init__', assertion],
    ],
    'AssertionError',
  );
}

export function weightsOomTraceback(architecture: string, oomMessage: string): string {
  const models = `${SRT}/models/${modelModule(architecture)}.py`;
  return traceback(
    [
      ...SCHEDULER_INIT,
      ...LOAD_MODEL,
      [`${SRT}/model_loader/loader.py`, 601, 'load_model', 'self.load_weights_and_postprocess(', false],
      [`${SRT}/model_loader/loader.py`, 617, 'load_weights_and_postprocess', 'model.load_weights(weights)'],
      [models, 598, 'load_weights', 'for name, loaded_weight in weights:'],
      [`${SRT}/model_loader/weight_utils.py`, 498, 'safetensors_weights_iterator', 'result = safetensors.torch.load_file(st_file, device=device)', true],
      [`${SITE}/safetensors/torch.py`, 315, 'load_file', 'result[k] = f.get_tensor(k)', true],
    ],
    `torch.OutOfMemoryError: ${oomMessage}`,
  );
}

export function notEnoughMemoryTraceback(memFractionStatic: string): string {
  return traceback(
    [
      ...SCHEDULER_INIT,
      INITIALIZE,
      [`${SRT}/model_executor/model_runner.py`, 412, 'initialize', 'self.init_memory_pool(', false],
      [`${SRT}/model_executor/model_runner.py`, 1562, 'init_memory_pool', 'raise RuntimeError(', false],
    ],
    `RuntimeError: Not enough memory. Please try to increase --mem-fraction-static. Current value: self.server_args.mem_fraction_static=${memFractionStatic}`,
  );
}

const CAPTURE_FAILED_MSG = [
  'Possible solutions:',
  '1. set --mem-fraction-static to a smaller value (e.g., 0.8 or 0.7)',
  '2. set --cuda-graph-max-bs to a smaller value (e.g., 16)',
  '3. disable torch compile by not using --enable-torch-compile',
  '4. disable CUDA graph by --disable-cuda-graph. (Not recommended. Huge performance loss)',
  'Open an issue on GitHub https://github.com/sgl-project/sglang/issues/new/choose ',
].join('\n');

export function graphOomTraceback(oomMessage: string): string {
  const runner = `${SRT}/model_executor/cuda_graph_runner.py`;
  const first = traceback(
    [
      [runner, 385, '__init__', 'self.capture()'],
      [runner, 497, 'capture', ') = self.capture_one_batch_size(bs, forward)', false],
      [runner, 682, 'capture_one_batch_size', 'run_once()'],
      [runner, 669, 'run_once', 'logits_output_or_pp_proxy_tensors = forward(', true],
      [`${SITE}/torch/utils/_contextlib.py`, 120, 'decorate_context', 'return func(*args, **kwargs)', true],
    ],
    `torch.OutOfMemoryError: ${oomMessage}`,
  );
  const second = traceback(
    [
      ...SCHEDULER_INIT,
      INITIALIZE,
      [`${SRT}/model_executor/model_runner.py`, 441, 'initialize', 'self.init_device_graphs()'],
      [`${SRT}/model_executor/model_runner.py`, 1839, 'init_device_graphs', 'self.graph_runner = graph_runners[self.device](self)', true],
      [runner, 387, '__init__', 'raise Exception(', false],
    ],
    `Exception: Capture cuda graph failed: ${oomMessage}\n${CAPTURE_FAILED_MSG}`,
  );
  return `${first}\nDuring handling of the above exception, another exception occurred:\n\n${second}`;
}

const CUDA_ERROR_TAIL = [
  'CUDA kernel errors might be asynchronously reported at any other API call, so the stacktrace below might be incorrect.',
  'For debugging consider passing CUDA_LAUNCH_BLOCKING=1',
  'Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.',
  '',
].join('\n');

export function invalidOrdinalTraceback(): string {
  return traceback(
    [
      ...SCHEDULER_INIT,
      [`${SRT}/model_executor/model_runner.py`, 256, '__init__', 'min_per_gpu_memory = self.init_torch_distributed()', true],
      [`${SRT}/model_executor/model_runner.py`, 655, 'init_torch_distributed', 'torch.get_device_module(self.device).set_device(self.gpu_id)'],
      [`${SITE}/torch/cuda/__init__.py`, 567, 'set_device', 'torch._C._cuda_setDevice(device)'],
    ],
    `torch.AcceleratorError: CUDA error: invalid device ordinal\n${CUDA_ERROR_TAIL}`,
  );
}

export function runtimeCrashTraceback(): string {
  return traceback(
    [
      [`${SRT}/managers/scheduler.py`, 2870, 'run_scheduler_process', 'scheduler.event_loop_overlap()'],
      [`${SITE}/torch/utils/_contextlib.py`, 120, 'decorate_context', 'return func(*args, **kwargs)', true],
      [`${SRT}/managers/scheduler.py`, 1007, 'event_loop_overlap', 'batch_result = self.run_batch(batch)', true],
      [`${SRT}/managers/scheduler.py`, 1989, 'run_batch', 'batch_result = self.model_worker.forward_batch_generation(', true],
      [`${SRT}/managers/tp_worker.py`, 252, 'forward_batch_generation', 'logits_output, can_run_cuda_graph = self.model_runner.forward(', true],
      [`${SRT}/model_executor/model_runner.py`, 2056, 'forward', 'output = self._forward_raw(', true],
      [`${SRT}/model_executor/model_runner.py`, 2087, '_forward_raw', 'ret = self.graph_runner.replay(', true],
      [`${SRT}/model_executor/cuda_graph_runner.py`, 818, 'replay', 'self.graphs[self.bs].replay()'],
      [`${SITE}/torch/cuda/graphs.py`, 88, 'replay', 'super().replay()'],
    ],
    `torch.AcceleratorError: CUDA error: an illegal memory access was encountered\n${CUDA_ERROR_TAIL}`,
  );
}

const MAIN_ENTRY: readonly Frame[] = [
  ['<frozen runpy>', 198, '_run_module_as_main', ''],
  ['<frozen runpy>', 88, '_run_code', ''],
  ['/sgl-workspace/sglang/python/sglang/launch_server.py', 11, '<module>', 'server_args = prepare_server_args(sys.argv[1:])', true],
  [`${SRT}/server_args.py`, 3351, 'prepare_server_args', 'return ServerArgs.from_cli_args(raw_args)', true],
  [`${SRT}/server_args.py`, 2966, 'from_cli_args', 'return cls(**{attr: getattr(args, attr) for attr in attrs})', true],
  ['<string>', 246, '__init__', ''],
  [`${SRT}/server_args.py`, 536, '__post_init__', 'self._handle_gpu_memory_settings(gpu_mem)'],
  [`${SRT}/server_args.py`, 742, '_handle_gpu_memory_settings', 'model_config = self.get_hf_config()'],
];

/** HF config loading failure while ServerArgs computes its defaults (exit code 1). */
export function modelConfigTraceback(finalError: string): string {
  return traceback(
    [
      ...MAIN_ENTRY,
      [`${SRT}/server_args.py`, 2991, 'get_hf_config', 'hf_config = get_config(', true],
      [`${SRT}/utils/hf_transformers_utils.py`, 158, 'get_config', 'config = AutoConfig.from_pretrained(', true],
      [
        `${SITE}/transformers/models/auto/configuration_auto.py`,
        1271,
        'from_pretrained',
        'config_dict, unused_kwargs = PretrainedConfig.get_config_dict(pretrained_model_name_or_path, **kwargs)',
        true,
      ],
      [`${SITE}/transformers/configuration_utils.py`, 662, 'get_config_dict', 'config_dict, kwargs = cls._get_config_dict(pretrained_model_name_or_path, **kwargs)', true],
      [`${SITE}/transformers/configuration_utils.py`, 721, '_get_config_dict', 'resolved_config_file = cached_file(', true],
      [`${SITE}/transformers/utils/hub.py`, 322, 'cached_file', 'file = cached_files(path_or_repo_id=path_or_repo_id, filenames=[filename], **kwargs)', true],
      [`${SITE}/transformers/utils/hub.py`, 511, 'cached_files', 'raise OSError(', false],
    ],
    finalError,
  );
}

/** A ValueError/RuntimeError raised while the main process builds the model config (exit code 1). */
export function mainValueErrorTraceback(finalError: string): string {
  return traceback(
    [
      ...MAIN_ENTRY,
      [`${SRT}/configs/model_config.py`, 249, 'from_server_args', 'return ModelConfig(', true],
      [`${SRT}/configs/model_config.py`, 182, '__init__', 'self._derive_context_length(context_length)'],
      [`${SRT}/configs/model_config.py`, 303, '_derive_context_length', 'raise ValueError(', false],
    ],
    finalError,
  );
}

/** `Initialization failed. warmup error: <this>` */
export function warmupTraceback(finalError: string, assertionSource: string): string {
  return traceback([[`${SRT}/entrypoints/http_server.py`, 1388, '_execute_server_warmup', assertionSource]], finalError);
}

/**
 * `/resume_memory_occupation` of a tag that is not in `offload_tags`: `set.remove` raises in the scheduler's
 * control dispatch (`scheduler_update_weights_mixin.py:111`; frame lines are those of the 0.5.3.post1 commit
 * 758b887a: scheduler.py 2956/1013/1285, utils.py 496).
 */
export function resumeKeyErrorTraceback(tag: string): string {
  return traceback(
    [
      [`${SRT}/managers/scheduler.py`, 2956, 'run_scheduler_process', 'scheduler.event_loop_overlap()'],
      [`${SITE}/torch/utils/_contextlib.py`, 120, 'decorate_context', 'return func(*args, **kwargs)', true],
      [`${SRT}/managers/scheduler.py`, 1013, 'event_loop_overlap', 'self.process_input_requests(recv_reqs)'],
      [`${SRT}/managers/scheduler.py`, 1285, 'process_input_requests', 'output = self._request_dispatcher(recv_req)', true],
      ['/sgl-workspace/sglang/python/sglang/utils.py', 496, '__call__', 'return fn(obj)', true],
      [`${SRT}/managers/scheduler_update_weights_mixin.py`, 111, 'resume_memory_occupation', 'self.offload_tags.remove(tag)'],
    ],
    `KeyError: ${pyStrRepr(tag)}`,
  );
}

/** `HEALTH_CHECK_TIMEOUT = int(os.getenv("SGLANG_HEALTH_CHECK_TIMEOUT", 20))` raising while `launch_server` imports http_server. */
export function healthTimeoutImportTraceback(raw: string): string {
  return traceback(
    [
      ['<frozen runpy>', 198, '_run_module_as_main', ''],
      ['<frozen runpy>', 88, '_run_code', ''],
      ['/sgl-workspace/sglang/python/sglang/launch_server.py', 6, '<module>', 'from sglang.srt.entrypoints.http_server import launch_server'],
      [`${SRT}/entrypoints/http_server.py`, 130, '<module>', 'HEALTH_CHECK_TIMEOUT = int(os.getenv("SGLANG_HEALTH_CHECK_TIMEOUT", 20))', true],
    ],
    `ValueError: invalid literal for int() with base 10: ${pyStrRepr(raw)}`,
  );
}
