// The argparse option table of `sglang.launch_server`: one option per ServerArgs field
// (`foo_bar` → `--foo-bar`), plus SGLang's aliases, choices and the `--config` meta option.
import { SERVER_ARG_FIELDS, type ArgKind } from './server-args-fields.js';

export interface ArgSpec {
  dest: string;
  /** All option strings; the first one is what usage lines show. */
  optionStrings: readonly string[];
  kind: ArgKind;
  choices?: readonly (string | number)[];
  required?: boolean;
}

export const QUANTIZATION_CHOICES = [
  'awq',
  'fp8',
  'gptq',
  'marlin',
  'gptq_marlin',
  'awq_marlin',
  'bitsandbytes',
  'gguf',
  'modelopt',
  'modelopt_fp4',
  'petit_nvfp4',
  'w8a8_int8',
  'w8a8_fp8',
  'moe_wna16',
  'qoq',
  'w4afp8',
  'mxfp4',
] as const;

export const REASONING_PARSER_CHOICES = ['deepseek-r1', 'deepseek-v3', 'glm45', 'gpt-oss', 'kimi', 'qwen3', 'qwen3-thinking', 'step3'] as const;

export const TOOL_CALL_PARSER_CHOICES = ['deepseekv3', 'deepseekv31', 'glm', 'glm45', 'gpt-oss', 'kimi_k2', 'llama3', 'mistral', 'pythonic', 'qwen', 'qwen25', 'qwen3_coder', 'step3'] as const;

const CHOICES: Record<string, readonly (string | number)[]> = {
  quantization: QUANTIZATION_CHOICES,
  reasoning_parser: REASONING_PARSER_CHOICES,
  tool_call_parser: TOOL_CALL_PARSER_CHOICES,
  log_requests_level: [0, 1, 2, 3],
  dtype: ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'],
  kv_cache_dtype: ['auto', 'fp8_e5m2', 'fp8_e4m3'],
};

/** Fields whose option strings are not just `--field-name`. */
const OPTION_STRINGS: Record<string, readonly string[]> = {
  model_path: ['--model-path', '--model'],
  tp_size: ['--tensor-parallel-size', '--tp-size'],
  dp_size: ['--data-parallel-size', '--dp-size'],
  pp_size: ['--pipeline-parallel-size', '--pp-size'],
  ep_size: ['--expert-parallel-size', '--ep-size', '--ep'],
  dist_init_addr: ['--dist-init-addr', '--nccl-init-addr'],
};

function buildSpecs(): ArgSpec[] {
  const specs: ArgSpec[] = SERVER_ARG_FIELDS.map(([dest, kind]) => ({
    dest,
    optionStrings: OPTION_STRINGS[dest] ?? ['--' + dest.replace(/_/g, '-')],
    kind,
    choices: CHOICES[dest],
    required: dest === 'model_path' ? true : undefined,
  }));
  specs.push({ dest: 'config', optionStrings: ['--config'], kind: 'str' });
  return specs;
}

export const ARG_SPECS: readonly ArgSpec[] = buildSpecs();
