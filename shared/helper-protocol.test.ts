import { describe, expect, it } from 'vitest';
import { HELPER_OPS, helperRequestSchema, helperResponseSchema, errorResponse, okResponse, parseHelperRequest, parseHelperRequestLine } from './helper-protocol.js';

const ok = (request: Record<string, unknown>) => ({ v: 1, id: 7, ...request });

describe('parseHelperRequest accepts one strict shape per operation', () => {
  it.each([
    ok({ op: 'status' }),
    ok({ op: 'selectModel', modelId: 'qwen3-32b-awq' }),
    ok({ op: 'selectModel', modelId: 'Mistral-Large:2411+awq_v1.5' }),
    ok({ op: 'start' }),
    ok({ op: 'stop', unit: 'sglang.service' }),
    ok({ op: 'restart' }),
    ok({ op: 'resetFailed' }),
    ok({ op: 'setPowerLimit', gpu: 'GPU-02c05ee3-bdb5-aac7-f9e8-a4c8f3f725b3', watts: 300 }),
    ok({ op: 'setPowerLimit', gpu: '00000000:0C:00.0', watts: 287.5, revertAfterS: 30 }),
    ok({ op: 'setPowerLimit', gpu: '0000:01:00.0', watts: 250 }),
    ok({ op: 'confirmPowerLimit', changeId: 'c-1f2e' }),
    ok({ op: 'revertPowerLimit', changeId: 'c-1f2e' }),
    { v: 1, id: 'abc', op: 'status' },
  ])('%j', (request) => {
    const parsed = parseHelperRequest(request);
    expect(parsed).toEqual({ ok: true, request });
  });

  it('has exactly one request type per listed op', () => {
    expect(helperRequestSchema.options.map((o) => o.shape.op.value)).toEqual([...HELPER_OPS]);
  });
});

describe('parseHelperRequest refuses with a code and a message naming the field', () => {
  it.each([
    [ok({ op: 'reboot' }), 'unknown_op', 'unknown operation "reboot"'],
    [ok({ op: 'exec', command: ['rm', '-rf', '/'] }), 'unknown_op', 'unknown operation "exec"'],
    [ok({ op: 'selectModel', modelId: '../etc/passwd' }), 'bad_request', 'modelId: must not contain "/"'],
    [ok({ op: 'selectModel', modelId: 'a/b' }), 'bad_request', 'modelId: must not contain "/"'],
    [ok({ op: 'selectModel', modelId: 'a..b' }), 'bad_request', 'modelId: must not contain ".."'],
    [ok({ op: 'selectModel', modelId: 'a\0b' }), 'bad_request', 'modelId: must not contain NUL'],
    [ok({ op: 'selectModel', modelId: '-rf' }), 'bad_request', 'modelId: must start with a letter or digit'],
    [ok({ op: 'selectModel', modelId: 'a b' }), 'bad_request', 'modelId: must start with a letter or digit'],
    [ok({ op: 'selectModel', modelId: 'x'.repeat(129) }), 'bad_request', 'modelId:'],
    [ok({ op: 'selectModel' }), 'bad_request', 'modelId:'],
    [ok({ op: 'selectModel', modelId: 'a', path: '/tmp/x.yaml' }), 'bad_request', 'unknown field "path"'],
    [ok({ op: 'status', extra: 1, more: 2 }), 'bad_request', 'unknown fields "extra", "more"'],
    [ok({ op: 'restart', unit: '' }), 'bad_request', 'unit:'],
    [ok({ op: 'restart', unit: 7 }), 'bad_request', 'unit:'],
    [ok({ op: 'restart', args: ['--now'] }), 'bad_request', 'unknown field "args"'],
    [ok({ op: 'setPowerLimit', gpu: '0', watts: 300 }), 'bad_request', 'gpu: must be a GPU UUID'],
    [ok({ op: 'setPowerLimit', gpu: 'GPU-0; reboot', watts: 300 }), 'bad_request', 'gpu: must be a GPU UUID'],
    [ok({ op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: -5 }), 'bad_request', 'watts:'],
    [ok({ op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: '300' }), 'bad_request', 'watts:'],
    [ok({ op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: 300, revertAfterS: 0 }), 'bad_request', 'revertAfterS:'],
    [ok({ op: 'confirmPowerLimit', changeId: '../x' }), 'bad_request', 'changeId: must be 1-64 letters'],
    [{ id: 1, op: 'status' }, 'bad_request', 'v: missing'],
    [{ v: 2, id: 1, op: 'status' }, 'bad_request', 'v: unsupported version 2'],
    [{ v: 1, op: 'status' }, 'bad_request', 'id:'],
    [{ v: 1, id: 1 }, 'bad_request', 'op: required'],
    [[1, 2], 'bad_request', 'a request is a JSON object'],
    ['status', 'bad_request', 'a request is a JSON object'],
    [null, 'bad_request', 'a request is a JSON object'],
  ])('%j → %s', (request, code, message) => {
    const parsed = parseHelperRequest(request);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.message).toContain(message);
  });

  it('echoes a readable id and nulls an unreadable one', () => {
    expect(parseHelperRequest(ok({ op: 'nope' }))).toMatchObject({ ok: false, id: 7 });
    expect(parseHelperRequest({ v: 1, id: { x: 1 }, op: 'status' })).toMatchObject({ ok: false, id: null });
  });
});

describe('parseHelperRequestLine', () => {
  it.each(['{', 'not json', '{"v":1,"id":1,"op":"status"', ''])('refuses malformed JSON %j', (line) => {
    expect(parseHelperRequestLine(line)).toMatchObject({ ok: false, id: null, error: { code: 'bad_request', message: expect.stringContaining('malformed JSON') } });
  });

  it('reads a well-formed line', () => {
    expect(parseHelperRequestLine('{"v":1,"id":1,"op":"status"}')).toEqual({ ok: true, request: { v: 1, id: 1, op: 'status' } });
  });
});

describe('responses', () => {
  it('builds envelopes the response schema accepts', () => {
    expect(helperResponseSchema.parse(okResponse(1, { unit: 'sglang.service' }))).toEqual({ v: 1, id: 1, ok: true, result: { unit: 'sglang.service' } });
    expect(helperResponseSchema.parse(errorResponse(null, 'too_large', 'too big'))).toEqual({ v: 1, id: null, ok: false, error: { code: 'too_large', message: 'too big' } });
    for (const code of ['busy', 'timeout'] as const) {
      expect(helperResponseSchema.parse(errorResponse(null, code, 'closing'))).toEqual({ v: 1, id: null, ok: false, error: { code, message: 'closing' } });
    }
    expect(() => helperResponseSchema.parse({ v: 1, id: null, ok: false, error: { code: 'overloaded', message: 'x' } })).toThrow();
  });
});
