import { describe, expect, it } from 'vitest';
import { mergeExpositions, relabelSample } from './merge-expositions.js';

const A = `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{engine_type="unified",model_name="a"} 2.0
# HELP sglang:prompt_tokens Number of prefill tokens processed.
# TYPE sglang:prompt_tokens counter
sglang:prompt_tokens_total{model_name="a"} 10.0
# HELP sglang:ttft_seconds Histogram.
# TYPE sglang:ttft_seconds histogram
sglang:ttft_seconds_bucket{le="0.1",model_name="a"} 1.0
sglang:ttft_seconds_bucket{le="+Inf",model_name="a"} 1.0
sglang:ttft_seconds_count{model_name="a"} 1.0
sglang:ttft_seconds_sum{model_name="a"} 0.05
`;
const B = A.replace(/model_name="a"/g, 'model_name="b"').replace('2.0', '0.0');

describe('mergeExpositions', () => {
  it('keeps one HELP and TYPE per family and groups both sources under it, each sample with its model label', () => {
    const text = mergeExpositions(
      [
        { labelValue: 'chat', text: A },
        { labelValue: 'coder', text: B },
      ],
      'model',
    );
    expect(text.match(/# TYPE sglang:num_running_reqs gauge/g)).toHaveLength(1);
    expect(text.match(/# HELP sglang:ttft_seconds /g)).toHaveLength(1);
    expect(text).toContain('sglang:num_running_reqs{model="chat",engine_type="unified",model_name="a"} 2.0');
    expect(text).toContain('sglang:num_running_reqs{model="coder",engine_type="unified",model_name="b"} 0.0');
    const lines = text.trim().split('\n');
    // Both servers' histogram samples follow their family's TYPE line, before the next family.
    const ttftType = lines.indexOf('# TYPE sglang:ttft_seconds histogram');
    expect(lines.slice(ttftType + 1)).toHaveLength(8);
    expect(lines.slice(ttftType + 1).every((l) => l.startsWith('sglang:ttft_seconds_'))).toBe(true);
    const counterType = lines.indexOf('# TYPE sglang:prompt_tokens counter');
    expect(lines.slice(counterType + 1, counterType + 3)).toEqual(['sglang:prompt_tokens_total{model="chat",model_name="a"} 10.0', 'sglang:prompt_tokens_total{model="coder",model_name="b"} 10.0']);
  });

  it('gives nothing for no sources and drops lines that are not samples', () => {
    expect(mergeExpositions([], 'model')).toBe('');
    expect(mergeExpositions([{ labelValue: 'x', text: '<html>oops</html>\nbad{ 1\n' }], 'model')).toBe('');
  });
});

describe('relabelSample', () => {
  it('adds the label to a sample without labels and keeps a timestamp', () => {
    expect(relabelSample('up 1 1700000000000', 'model', 'm')).toEqual({ name: 'up', line: 'up{model="m"} 1 1700000000000' });
  });

  it('escapes the value and keeps escaped quotes and braces inside existing values', () => {
    expect(relabelSample('x{path="a\\"}b",z="1"} 3', 'model', 'q"\\')!.line).toBe('x{model="q\\"\\\\",path="a\\"}b",z="1"} 3');
  });

  it('renames a conflicting label to exported_<label>', () => {
    expect(relabelSample('x{model="up"} 1', 'model', 'chat')!.line).toBe('x{model="chat",exported_model="up"} 1');
  });

  it('refuses a sample without a value', () => {
    expect(relabelSample('x{a="1"}', 'model', 'm')).toBeNull();
  });
});
