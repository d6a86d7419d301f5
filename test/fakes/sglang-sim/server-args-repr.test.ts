import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureBatchSizes, defaultMemFractionStatic, gpuDefaults } from './gpu-defaults.js';
import { parseArgs } from './parse-args.js';
import { pyFloatRepr, pyStrRepr } from './python-repr.js';
import { resolveServerArgs } from './server-args-repr.js';

const SAMPLE_LOG = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/sglang-logs/reference-startup-sample-v0.5.3.log');
const SAMPLE_ARGV = [
  '--model-path',
  '/models/Meta-Llama-3.1-70B-Instruct-AWQ-INT4',
  '--served-model-name',
  'llama-3.1-70b-awq',
  '--tp',
  '4',
  '--quantization',
  'awq_marlin',
  '--enable-torch-compile',
  '--host',
  '0.0.0.0',
  '--port',
  '30000',
  '--enable-metrics',
];

function resolve(argv: string[], gpuMemMiB: number) {
  const outcome = parseArgs(argv);
  if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome));
  return resolveServerArgs(outcome.values, gpuMemMiB);
}

describe('ServerArgs repr', () => {
  it('reproduces the reference sample line for the same flags on an H100 80GB (81559 MiB)', () => {
    const repr = resolve(SAMPLE_ARGV, 81559)
      .repr()
      .replace(/random_seed=\d+/, 'random_seed=518962346');
    expect(repr).toContain("ServerArgs(model_path='/models/Meta-Llama-3.1-70B-Instruct-AWQ-INT4', tokenizer_path='/models/Meta-Llama-3.1-70B-Instruct-AWQ-INT4', tokenizer_mode='auto'");
    expect(repr).toContain('mem_fraction_static=0.824, max_running_requests=None');
    expect(repr).toContain('chunked_prefill_size=8192, max_prefill_tokens=16384');
    expect(repr).toContain('cuda_graph_max_bs=512, cuda_graph_bs=[1, 2, 4, 8, 12, 16, 24, 32, 40,');
    expect(repr.endsWith('enable_pdmux=False, sm_group_num=3)')).toBe(true);
    const line = readFileSync(SAMPLE_LOG, 'utf8')
      .split('\n')
      .find((text) => text.includes('server_args=ServerArgs('));
    expect(line).toBeDefined();
    expect(`server_args=${repr}`).toBe(line!.slice(line!.indexOf('server_args=')));
  });

  it('fills defaults from the GPU (RTX 3090, tp 1) and keeps flag values', () => {
    const args = resolve(['--model', '/m', '--mem-fraction-static', '0.8', '--cuda-graph-bs', '1', '2', '8'], 24576);
    const repr = args.repr();
    expect(repr).toContain("served_model_name='/m'");
    expect(repr).toContain('mem_fraction_static=0.8,');
    expect(repr).toContain('cuda_graph_max_bs=8, cuda_graph_bs=[1, 2, 8]');
    expect(repr).toContain('chunked_prefill_size=2048');
    expect(args.toJson().cuda_graph_bs).toEqual([1, 2, 8]);
  });
});

describe('GPU-dependent defaults', () => {
  it.each([
    [81559, 4, 8192, 512, 0.824],
    [24576, 1, 2048, 16, 0.848],
    [24576, 4, 2048, 80, 0.827],
  ])('%i MiB, tp %i → chunked %i, graph max bs %i, mem fraction %f', (mib, tp, chunked, maxBs, fraction) => {
    expect(gpuDefaults(mib, tp)).toEqual({ chunkedPrefillSize: chunked, cudaGraphMaxBs: maxBs });
    expect(defaultMemFractionStatic(mib, chunked, maxBs, tp, 1)).toBeCloseTo(fraction, 3);
  });

  it('builds the capture list: 52 sizes up to 512, 6 up to 16', () => {
    expect(captureBatchSizes(512)).toHaveLength(52);
    expect(captureBatchSizes(16)).toEqual([1, 2, 4, 8, 12, 16]);
  });
});

describe('Python repr helpers', () => {
  it('prints floats and strings the Python way', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(0.002)).toBe('0.002');
    expect(pyFloatRepr(1e-7)).toBe('1e-07');
    expect(pyStrRepr("it's")).toBe('"it\'s"');
    expect(pyStrRepr('a\nb')).toBe("'a\\nb'");
  });
});
