// Catalog value lists without zod, so the renderer can show them without bundling the schema library.

/** Values SGLang 0.5.3's `--quantization` accepts (argparse choices in server_args.py). */
export const SGLANG_QUANTIZATIONS = [
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

/** How the router shows load progress to streaming clients. */
export const LOADING_MESSAGE_STYLES = ['content', 'reasoning', 'comment', 'none'] as const;

/** Model ids and aliases: what clients send as `model`. No '/', spaces, '..' or control characters. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;

/** backend.maxSleepers when the catalog does not say: warm models asleep at once. */
export const DEFAULT_MAX_SLEEPERS = 2;

/** backend.sleepTimeoutS when the catalog does not say: how long a sleep or a wake may take. */
export const DEFAULT_SLEEP_TIMEOUT_S = 120;

/** A model's maxQueued when it sets maxConcurrent but not maxQueued: requests that may wait for a free place. */
export const DEFAULT_MAX_QUEUED = 16;
