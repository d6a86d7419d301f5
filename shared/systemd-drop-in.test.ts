import { describe, expect, it } from 'vitest';
import { quoteSystemdArg, renderDropIn } from './systemd-drop-in.js';

describe('quoteSystemdArg', () => {
  it.each([
    ['plain word', '--model-path', '--model-path'],
    ['path', '/models/Qwen2.5-7B', '/models/Qwen2.5-7B'],
    ['percent', '100%', '100%%'],
    ['specifier-like', '%n', '%%n'],
    ['dollar', '$HOME', '$$HOME'],
    ['braced dollar', '${HOME}', '"$${HOME}"'],
    ['space', 'a b', '"a b"'],
    ['space and percent', '--chat-template=/t/my 50%.jinja', '"--chat-template=/t/my 50%%.jinja"'],
    ['double quote', 'say "hi"', '"say \\"hi\\""'],
    ['single quote', "it's", '"it\'s"'],
    ['backslash', 'C:\\dir', '"C:\\\\dir"'],
    ['trailing backslash', 'end\\', '"end\\\\"'],
    ['unicode letters', 'modèle-模型', 'modèle-模型'],
    ['emoji', '✓ok', '"✓ok"'],
    ['empty', '', '""'],
    ['lone semicolon', ';', '";"'],
    ['tab', 'a\tb', '"a\\tb"'],
    ['carriage return', 'a\rb', '"a\\rb"'],
    ['escape character', '\x1b[1m', '"\\x1b[1m"'],
    ['JSON', '{"max_new_tokens": 8}', '"{\\"max_new_tokens\\": 8}"'],
  ])('%s', (_name, arg, expected) => {
    expect(quoteSystemdArg(arg)).toBe(expected);
  });

  it.each([
    ['NUL', 'a\0b'],
    ['newline', 'a\nb'],
  ])('rejects %s', (_name, arg) => {
    expect(() => quoteSystemdArg(arg)).toThrow(/NUL|newline/);
  });
});

describe('renderDropIn', () => {
  it('resets ExecStart, then sets the argv, SIGKILL as a clean end and one Environment= line per variable', () => {
    const text = renderDropIn({
      modelId: 'qwen',
      argv: ['/opt/sglang/venv/bin/python', '-m', 'sglang.launch_server', '--model-path', '/models/my model', '--chat-template', '50%'],
      env: { CUDA_VISIBLE_DEVICES: '0,1', HF_HOME: '/data/hf cache', PROMPT: 'say "$x" 5%' },
    });
    expect(text).toBe(
      [
        '# Written by SGLang Switchboard on every model switch; edits here are overwritten.',
        '# model: qwen',
        '[Service]',
        'ExecStart=',
        'ExecStart=/opt/sglang/venv/bin/python -m sglang.launch_server --model-path "/models/my model" --chat-template 50%%',
        '# SGLang SIGKILLs itself at the end of every stop; without this each stop would leave the unit failed.',
        'SuccessExitStatus=SIGKILL',
        'Environment="CUDA_VISIBLE_DEVICES=0,1"',
        'Environment="HF_HOME=/data/hf cache"',
        'Environment="PROMPT=say \\"$x\\" 5%%"',
        '',
      ].join('\n'),
    );
  });

  it('runs a legacy script model as the whole ExecStart', () => {
    const text = renderDropIn({ argv: ['/opt/sglang/start_sglang_katdev.sh'], env: {} });
    expect(
      text
        .split('\n')
        .slice(1)
        .filter((l) => !l.startsWith('#')),
    ).toEqual(['[Service]', 'ExecStart=', 'ExecStart=/opt/sglang/start_sglang_katdev.sh', 'SuccessExitStatus=SIGKILL', '']);
  });

  it.each([
    ['an empty argv', { argv: [], env: {} }, /empty command/],
    ['an executable with a prefix flag', { argv: ['-/bin/true'], env: {} }, /prefix/],
    ['a newline in an argument', { argv: ['/bin/true', 'a\nb'], env: {} }, /newline/],
    ['a NUL in a value', { argv: ['/bin/true'], env: { A: 'x\0' } }, /NUL/],
    ['a newline in a value', { argv: ['/bin/true'], env: { A: 'x\ny' } }, /newline/],
    ['an invalid variable name', { argv: ['/bin/true'], env: { 'A B': '1' } }, /variable name/],
  ])('rejects %s', (_name, launch, error) => {
    expect(() => renderDropIn(launch)).toThrow(error);
  });
});
