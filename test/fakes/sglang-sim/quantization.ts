// How SGLang picks the quantization kernel and the dtypes from the flags and the checkpoint.
import type { ModelDir } from './model-dir.js';

export interface QuantChoice {
  /** Effective method, undefined = unquantized. */
  method: string | undefined;
  /** Logged wherever a ModelConfig is built (main once, each scheduler twice). */
  notice: string | undefined;
  /** ValueError text when the flag contradicts the checkpoint. */
  mismatch: string | undefined;
}

const MARLIN_UPGRADE: Record<string, string> = { awq: 'awq_marlin', gptq: 'gptq_marlin' };

export function chooseQuantization(flag: string | null, checkpoint: string | undefined): QuantChoice {
  if (checkpoint === undefined) return { method: flag ?? undefined, notice: undefined, mismatch: undefined };
  const upgraded = MARLIN_UPGRADE[checkpoint];
  if (upgraded && (flag === null || flag === upgraded || flag === 'marlin')) {
    return {
      method: upgraded,
      notice: `The model is convertible to ${upgraded} during runtime. Using ${upgraded} kernel.`,
      mismatch: undefined,
    };
  }
  if (upgraded && flag === checkpoint) {
    return {
      method: checkpoint,
      notice: `Detected that the model can run with ${upgraded}, however you specified quantization=${checkpoint} explicitly, so forcing ${checkpoint}. Use quantization=${upgraded} for faster inference.`,
      mismatch: undefined,
    };
  }
  if (flag === null || flag === checkpoint || (upgraded && flag === 'moe_wna16')) {
    return { method: flag ?? checkpoint, notice: undefined, mismatch: undefined };
  }
  return {
    method: flag,
    notice: undefined,
    mismatch: `Quantization method specified in the model config (${checkpoint}) does not match the quantization method specified in the \`quantization\` argument (${flag}).`,
  };
}

/** The torch dtype of the weights/activations, e.g. `torch.float16`. */
export function chooseModelDtype(flag: string, model: ModelDir, quant: string | undefined): string {
  const byFlag: Record<string, string> = { half: 'float16', float16: 'float16', bfloat16: 'bfloat16', float: 'float32', float32: 'float32' };
  let dtype = byFlag[flag];
  if (dtype === undefined) {
    dtype = model.torchDtype === 'float32' ? 'float16' : model.torchDtype;
    if (dtype === 'bfloat16' && (quant === 'awq' || quant === 'gptq')) dtype = 'float16';
  }
  return `torch.${dtype}`;
}

export function chooseKvDtype(flag: string, modelDtype: string): string {
  if (flag === 'fp8_e5m2') return 'torch.float8_e5m2';
  if (flag === 'fp8_e4m3') return 'torch.float8_e4m3fn';
  return modelDtype;
}

export function dtypeBytes(dtype: string): number {
  if (dtype.includes('float8')) return 1;
  if (dtype === 'torch.float32') return 4;
  return 2;
}

/** Average bytes per linear-layer parameter for a quantization method (4-bit ≈ 0.53 with scales). */
export function linearBytesPerParam(quant: string | undefined, dtype: string): number {
  if (quant === undefined) return dtypeBytes(dtype);
  if (['fp8', 'w8a8_fp8', 'w8a8_int8', 'modelopt', 'qoq'].includes(quant)) return 1.02;
  return 0.53;
}
