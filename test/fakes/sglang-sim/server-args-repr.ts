// ServerArgs after __post_init__: the parsed flags plus the defaults SGLang fills in, printed
// as the `server_args=ServerArgs(...)` repr and served by /get_server_info.
import { captureBatchSizes, defaultMemFractionStatic, gpuDefaults } from './gpu-defaults.js';
import { parsePyLiteral, PyFloat, pyRepr, pyToJson, type PyValue } from './python-repr.js';
import { SERVER_ARG_FIELDS } from './server-args-fields.js';

export class ServerArgs {
  constructor(private readonly values: ReadonlyMap<string, PyValue>) {}

  get(name: string): PyValue {
    if (!this.values.has(name)) throw new Error(`unknown ServerArgs field ${name}`);
    return this.values.get(name) ?? null;
  }

  str(name: string): string | null {
    const value = this.get(name);
    return value === null ? null : String(value);
  }

  num(name: string): number | null {
    const value = this.get(name);
    if (value === null) return null;
    return value instanceof PyFloat ? value.value : Number(value);
  }

  bool(name: string): boolean {
    return this.get(name) === true;
  }

  intList(name: string): number[] {
    const value = this.get(name);
    return Array.isArray(value) ? value.map((item) => (item instanceof PyFloat ? item.value : Number(item))) : [];
  }

  /** `ServerArgs(model_path='...', ..., sm_group_num=3)` */
  repr(): string {
    return `ServerArgs(${SERVER_ARG_FIELDS.map(([name]) => `${name}=${pyRepr(this.get(name))}`).join(', ')})`;
  }

  /** Every field as a JSON-ready object in dataclass order (for /get_server_info). */
  toJson(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name] of SERVER_ARG_FIELDS) out[name] = pyToJson(this.get(name));
    return out;
  }
}

/** Applies the defaults that depend on the GPU and on other flags (`__post_init__`). */
export function resolveServerArgs(parsed: ReadonlyMap<string, PyValue>, gpuMemMiB: number): ServerArgs {
  const values = new Map<string, PyValue>();
  for (const [name, , literal] of SERVER_ARG_FIELDS) values.set(name, parsed.has(name) ? parsed.get(name)! : parsePyLiteral(literal));
  const modelPath = values.get('model_path') as string;
  if (values.get('tokenizer_path') === null) values.set('tokenizer_path', modelPath);
  if (values.get('served_model_name') === null) values.set('served_model_name', modelPath);
  const tpSize = Number(values.get('tp_size'));
  const ppSize = Number(values.get('pp_size'));
  const defaults = gpuDefaults(gpuMemMiB, tpSize);
  if (values.get('chunked_prefill_size') === null) values.set('chunked_prefill_size', defaults.chunkedPrefillSize);
  const explicitBs = values.get('cuda_graph_bs');
  if (Array.isArray(explicitBs) && explicitBs.length > 0) {
    values.set('cuda_graph_max_bs', Math.max(...explicitBs.map(Number)));
  } else {
    if (values.get('cuda_graph_max_bs') === null) values.set('cuda_graph_max_bs', defaults.cudaGraphMaxBs);
    values.set('cuda_graph_bs', captureBatchSizes(Number(values.get('cuda_graph_max_bs'))));
  }
  if (values.get('mem_fraction_static') === null) {
    const chunked = Number(values.get('chunked_prefill_size'));
    const maxBs = Number(values.get('cuda_graph_max_bs'));
    values.set('mem_fraction_static', new PyFloat(defaultMemFractionStatic(gpuMemMiB, chunked, maxBs, tpSize, ppSize)));
  }
  if (values.get('random_seed') === null) values.set('random_seed', Math.floor(Math.random() * (1 << 30)));
  return new ServerArgs(values);
}
