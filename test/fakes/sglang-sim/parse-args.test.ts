import { describe, expect, it } from 'vitest';
import { formatArgparseError, formatUsage, parseArgs } from './parse-args.js';
import { PyFloat } from './python-repr.js';

function ok(argv: string[]): Map<string, unknown> {
  const outcome = parseArgs(argv);
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
  return outcome.values;
}

function error(argv: string[]): string {
  const outcome = parseArgs(argv);
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`);
  return outcome.message;
}

describe('parseArgs (argparse look-alike)', () => {
  it.each([
    [['--model-path', '/m', '--tp', '4'], 'tp_size', 4],
    [['--model', '/m', '--tp-size', '2'], 'tp_size', 2],
    [['--model-path', '/m', '--tensor-parallel-size', '8'], 'tp_size', 8],
    [['--model-path', '/m', '--dp', '2'], 'dp_size', 2],
    [['--model-path', '/m', '--ep', '2'], 'ep_size', 2],
    [['--model-path', '/m', '--port=31000'], 'port', 31000],
    [['--model-path', '/m', '--served-model-name', 'llama'], 'served_model_name', 'llama'],
    [['--model-path', '/m', '--enable-torch-compile'], 'enable_torch_compile', true],
    [['--model-path', '/m', '--chunked-prefill-size', '-1'], 'chunked_prefill_size', -1],
    [['--model-path', '/m', '--nccl-init-addr', '10.0.0.1:5000'], 'dist_init_addr', '10.0.0.1:5000'],
  ])('%j sets %s', (argv, dest, value) => {
    expect(ok(argv).get(dest)).toEqual(value);
  });

  it('reads floats, nargs=+ lists and choices', () => {
    const values = ok(['--model-path', '/m', '--mem-fraction-static', '0.8', '--cuda-graph-bs', '1', '2', '4', '--quantization', 'awq_marlin']);
    expect(values.get('mem_fraction_static')).toEqual(new PyFloat(0.8));
    expect(values.get('cuda_graph_bs')).toEqual([1, 2, 4]);
    expect(values.get('quantization')).toBe('awq_marlin');
  });

  it.each([
    [['--tp', '2'], 'the following arguments are required: --model-path/--model'],
    [['--model-path', '/m', '--pp', '2'], 'ambiguous option: --pp could match --pp-size, --pp-max-micro-batch-size'],
    [['--model-path', '/m', '--foo', 'bar'], 'unrecognized arguments: --foo bar'],
    [['--model-path', '/m', 'extra'], 'unrecognized arguments: extra'],
    [['--model-path', '/m', '--port', 'abc'], "argument --port: invalid int value: 'abc'"],
    [['--model-path', '/m', '--port'], 'argument --port: expected one argument'],
    [['--model-path', '/m', '--port', '--host', 'x'], 'argument --port: expected one argument'],
    [['--model-path', '/m', '--cuda-graph-bs'], 'argument --cuda-graph-bs: expected at least one argument'],
    [['--model-path', '/m', '--tp', 'x'], "argument --tensor-parallel-size/--tp-size: invalid int value: 'x'"],
    [['--model-path', '/m', '--mem-fraction-static', 'lots'], "argument --mem-fraction-static: invalid float value: 'lots'"],
    [['--model-path', '/m', '--log-requests-level', '7'], 'argument --log-requests-level: invalid choice: 7 (choose from 0, 1, 2, 3)'],
    [['--model-path', '/m', '--kv-cache-dtype', 'fp4'], "argument --kv-cache-dtype: invalid choice: 'fp4' (choose from 'auto', 'fp8_e5m2', 'fp8_e4m3')"],
    [['--model-path', '/m', '--enable-metrics=yes'], "argument --enable-metrics: ignored explicit argument 'yes'"],
  ])('%j fails with argparse wording', (argv, message) => {
    expect(error(argv)).toBe(message);
  });

  it('lists every quantization choice, quoted, in the invalid-choice error', () => {
    expect(error(['--model-path', '/m', '--quantization', 'x'])).toBe(
      "argument --quantization: invalid choice: 'x' (choose from 'awq', 'fp8', 'gptq', 'marlin', 'gptq_marlin', 'awq_marlin', " +
        "'bitsandbytes', 'gguf', 'modelopt', 'modelopt_fp4', 'petit_nvfp4', 'w8a8_int8', 'w8a8_fp8', 'moe_wna16', 'qoq', 'w4afp8', 'mxfp4')",
    );
  });

  it('accepts the reasoning/tool parser choices and rejects others', () => {
    expect(ok(['--model-path', '/m', '--reasoning-parser', 'qwen3', '--tool-call-parser', 'llama3']).get('tool_call_parser')).toBe('llama3');
    expect(error(['--model-path', '/m', '--reasoning-parser', 'nope'])).toMatch(/^argument --reasoning-parser: invalid choice: 'nope' \(choose from 'deepseek-r1', /);
  });

  it('formats usage like argparse, wrapped at 78 columns, then the error line', () => {
    const usage = formatUsage(undefined, 80);
    expect(usage.startsWith('usage: launch_server.py [-h] --model-path MODEL_PATH\n')).toBe(true);
    // Only a line holding a single (unbreakable) part may exceed the width.
    for (const line of usage.trimEnd().split('\n').slice(1)) {
      if (line.trim().includes(' [-')) expect(line.length).toBeLessThanOrEqual(78);
    }
    expect(usage).toContain('[--tensor-parallel-size TP_SIZE]');
    expect(usage).toContain('[--cuda-graph-bs CUDA_GRAPH_BS [CUDA_GRAPH_BS ...]]');
    expect(formatArgparseError('boom').endsWith('\nlaunch_server.py: error: boom\n')).toBe(true);
  });
});
