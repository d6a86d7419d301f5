/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import oomLog from '../../../test/fixtures/sglang-logs/fail-oom-attn-backend-init-tp2-awq-3090-v0.5.12fork.log?raw';
import referenceLog from '../../../test/fixtures/sglang-logs/reference-startup-sample-v0.5.3.log?raw';
import runtimeLog from '../../../test/fixtures/sglang-logs/runtime-tp1-qwen2.5-3b-nocudagraph-v0.5.x-head.log?raw';
import docsciLog from '../../../test/fixtures/sglang-logs/startup-tp1-qwen2.5-0.5b-docsci-v0.5.1.post3.log?raw';
import tp4Log from '../../../test/fixtures/sglang-logs/startup-tp4-qwq32b-l4-v0.4.3.post4.log?raw';
import { classifyLogLine, formatLogLine, sanitize, TONE_SGR, type LogTone } from './format-log-line.js';

const FIXTURES: Record<string, string> = { oom: oomLog, reference: referenceLog, runtime: runtimeLog, docsci: docsciLog, tp4: tp4Log };

/** A fixture's physical line (1-based), as the engine would send it. */
function fixtureLine(name: string, lineNo: number): string {
  const text = FIXTURES[name];
  if (text === undefined) throw new Error(`no fixture named ${name}`);
  const line = text.split('\n')[lineNo - 1];
  if (line === undefined) throw new Error(`fixture ${name} has no line ${lineNo}`);
  return line;
}

describe('classifyLogLine over real SGLang logs', () => {
  it.each<[string, number, LogTone]>([
    // load phases
    ['reference', 31, 'phase'], // Init torch distributed begin.
    ['reference', 46, 'phase'], // Load weight begin.
    ['reference', 58, 'phase'], // Load weight end.
    ['reference', 60, 'phase'], // KV Cache is allocated.
    ['reference', 64, 'phase'], // Memory pool end.
    ['reference', 65, 'phase'], // Capture cuda graph begin.
    ['reference', 89, 'phase'], // Capture cuda graph end.
    ['reference', 90, 'phase'], // max_total_num_tokens=…
    ['reference', 96, 'phase'], // Uvicorn running on …
    ['oom', 2, 'phase'], // Capture piecewise CUDA graph begin.
    ['tp4', 9, 'phase'],
    // progress bars
    ['reference', 48, 'progress'], // Loading safetensors checkpoint shards: 11%
    ['reference', 75, 'progress'], // Capturing batches (bs=40 …)
    ['tp4', 66, 'progress'], // 0.4.x plain bar
    ['docsci', 37, 'progress'],
    // ready
    ['reference', 101, 'ready'],
    ['runtime', 38, 'ready'],
    ['tp4', 83, 'ready'],
    // errors
    ['oom', 3, 'error'], // Scheduler hit an exception: Traceback …
    ['oom', 38, 'error'], // torch.OutOfMemoryError: CUDA out of memory.
    ['oom', 40, 'error'], // Received sigquit from a child process.
    // warnings
    ['docsci', 4, 'warning'], // WARNING:transformers…
    ['docsci', 13, 'warning'], // `torch_dtype` is deprecated!
    ['tp4', 17, 'warning'], // To silence this warning …
    ['tp4', 29, 'warning'], // "The following error message … can be ignored." is not an error
    ['runtime', 14, 'warning'], // Ignore import error when loading …
    ['reference', 97, 'warning'], // GET /health 503
    // plain
    ['reference', 19, 'plain'], // server_args=ServerArgs(…)
    ['reference', 32, 'plain'], // [Gloo] …
    ['reference', 99, 'plain'], // Prefill batch.
    ['reference', 110, 'plain'], // POST /v1/chat/completions 200
    ['reference', 107, 'plain'], // Decode batch.
  ])('%s line %i → %s', (name, lineNo, tone) => {
    expect(classifyLogLine(fixtureLine(name, lineNo))).toBe(tone);
  });

  it('every fixture line classifies without throwing, and each tone occurs', () => {
    const seen = new Set<LogTone>();
    for (const text of Object.values(FIXTURES).flatMap((t) => t.split('\n'))) seen.add(classifyLogLine(text));
    expect([...seen].sort()).toEqual(['error', 'phase', 'plain', 'progress', 'ready', 'warning']);
  });
});

describe('formatLogLine', () => {
  it('colours by tone and marks the stream in the gutter', () => {
    const ready = formatLogLine({ stream: 'stderr', text: fixtureLine('reference', 101) });
    expect(ready).toContain(`${TONE_SGR.ready}[2025-10-14 11:27:23] The server is fired up`);
    expect(ready.startsWith('\x1b[2m┃')).toBe(true);
    expect(ready.endsWith('\x1b[0m')).toBe(true);
    const oom = formatLogLine({ stream: 'stderr', text: fixtureLine('oom', 38) });
    expect(oom).toContain(`\x1b[31mtorch.OutOfMemoryError`);
    expect(formatLogLine({ stream: 'stdout', text: 'plain' })).toBe('  plain');
    expect(formatLogLine({ stream: 'engine', text: 'switching' })).toContain('»');
  });

  it('strips escape sequences and control characters from the text, and cuts very long lines', () => {
    expect(sanitize('a\x1b[2J\x1b[31mb\x07c\rd\te')).toBe('abcd\te');
    const long = sanitize('x'.repeat(20_000));
    expect(long.length).toBeLessThan(8_100);
    expect(long).toMatch(/… \(12000 more chars\)$/);
  });
});
