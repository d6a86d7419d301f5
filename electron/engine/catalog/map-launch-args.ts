import { MODEL_ID_PATTERN, SGLANG_QUANTIZATIONS, type ModelEntryInput } from '../../../shared/catalog-schema.js';

/** A shell word after expansion, with the line it came from. */
export interface ResolvedWord {
  text: string;
  line: number;
}

type MappedFields = Pick<ModelEntryInput, 'tp' | 'contextLength' | 'quantization' | 'memFractionStatic' | 'torchCompile'>;

/** `launch_server`'s arguments sorted into catalog fields, with the rest in order. */
export interface MappedLaunch {
  id?: string;
  modelPath?: string;
  fields: MappedFields;
  extraArgs: string[];
}

export type NoteFn = (severity: 'info' | 'warning', message: string, line?: number) => void;

type Target = 'id' | 'modelPath' | 'tp' | 'contextLength' | 'quantization' | 'memFractionStatic' | 'host' | 'port';

// argparse accepts unique prefixes, so `--tp` is `--tp-size` (see sglang-server.md §2).
const VALUE_FLAGS: Record<string, Target> = {
  '--model-path': 'modelPath',
  '--model': 'modelPath',
  '--served-model-name': 'id',
  '--tp': 'tp',
  '--tp-size': 'tp',
  '--tensor-parallel-size': 'tp',
  '--context-length': 'contextLength',
  '--quantization': 'quantization',
  '--mem-fraction-static': 'memFractionStatic',
  '--host': 'host',
  '--port': 'port',
};

/** Maps the words after `-m sglang.launch_server`; what it cannot map stays in extraArgs or is reported. */
export function mapLaunchArgs(args: readonly ResolvedWord[], note: NoteFn): MappedLaunch {
  const out: MappedLaunch = { fields: {}, extraArgs: [] };
  let isValueTaken = false;
  for (const [k, { text, line }] of args.entries()) {
    // The word after a `--flag value` pair's flag was its value.
    if (isValueTaken) {
      isValueTaken = false;
      continue;
    }
    const eq = text.indexOf('=');
    const flag = eq > 0 ? text.slice(0, eq) : text;
    if (flag === '--enable-torch-compile') {
      out.fields.torchCompile = true;
      continue;
    }
    const target = VALUE_FLAGS[flag];
    if (!target) {
      out.extraArgs.push(text);
      continue;
    }
    const value = eq > 0 ? text.slice(eq + 1) : args[k + 1]?.text;
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      note('warning', `${flag} has no value; not imported`, line);
      continue;
    }
    if (eq < 0) isValueTaken = true;
    apply(out, target, flag, value, line, note);
  }
  return out;
}

function apply(out: MappedLaunch, target: Target, flag: string, value: string, line: number, note: NoteFn): void {
  switch (target) {
    case 'host':
    case 'port':
      return note('info', `${flag} ${value} dropped: managed by switchboard (backend.${target})`, line);
    case 'modelPath':
      out.modelPath = value;
      return;
    case 'id':
      out.id = sanitizeModelId(value);
      if (out.id !== value) note('warning', `served model name "${value}" is not a valid id; imported as "${out.id}" (clients must use the new name)`, line);
      return;
    case 'quantization':
      if ((SGLANG_QUANTIZATIONS as readonly string[]).includes(value)) out.fields.quantization = value as MappedFields['quantization'];
      else note('warning', `${flag} ${value} is not an SGLang quantization method; not imported`, line);
      return;
    default: {
      const number = parseNumber(value, target !== 'memFractionStatic');
      if (number === undefined) note('warning', `${flag} ${value} is not a ${target === 'memFractionStatic' ? 'number' : 'whole number'}; not imported`, line);
      else out.fields[target] = number;
    }
  }
}

function parseNumber(text: string, integer: boolean): number | undefined {
  const pattern = integer ? /^\d+$/ : /^(\d+\.?\d*|\.\d+)$/;
  return pattern.test(text) ? Number(text) : undefined;
}

/** Makes any name a valid model id: other characters become '-', no '..', starts with a letter or digit. */
export function sanitizeModelId(name: string): string {
  const id = name
    .replace(/[^A-Za-z0-9._:+-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return MODEL_ID_PATTERN.test(id) ? id : 'imported-model';
}
