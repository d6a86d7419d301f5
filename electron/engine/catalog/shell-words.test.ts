import { describe, expect, it } from 'vitest';
import { parseShellScript, type ShellWord } from './shell-words.js';

const text = (w: ShellWord | undefined) => w?.parts.map((p) => (p.kind === 'text' ? p.text : `<${p.raw}>`)).join('');
const commands = (script: string) => parseShellScript(script).commands.map((c) => c.words.map(text));

describe('parseShellScript', () => {
  it.each([
    ['plain words', 'python -m sglang.launch_server --tp 4', [['python', '-m', 'sglang.launch_server', '--tp', '4']]],
    ['quotes', `export A="x y" B='$z' C=a"b"'c'`, [['export', 'A=x y', 'B=$z', 'C=abc']]],
    ['escapes', 'echo a\\ b "q\\"q" \'s\\\'', [['echo', 'a b', 'q"q', 's\\']]],
    [
      'comments',
      '# heading\nset -e # trailing\necho a#b',
      [
        ['set', '-e'],
        ['echo', 'a#b'],
      ],
    ],
    ['continuations', 'python \\\n  --tp 4 \\\n  --port 1', [['python', '--tp', '4', '--port', '1']]],
    ['"\\  # comment" continues the command', 'python \\\n  --model-path /m \\  # weights\n  --tp 4', [['python', '--model-path', '/m', '--tp', '4']]],
    ['trailing spaces after a backslash continue too', 'python \\   \n  --tp 4', [['python', '--tp', '4']]],
    ['expansions stay unexpanded', 'run $A ${B}/x "$(date)" `id` $1', [['run', '<$A>', '<${B}>/x', '<$(date)>', '<`id`>', '<$1>']]],
    ['a lone dollar is text', 'echo 5$ $', [['echo', '5$', '$']]],
    ['empty quotes are a word', 'run ""', [['run', '']]],
    ['CRLF line endings', 'a \\\r\n  b\r\nc\r\n', [['a', 'b'], ['c']]],
  ])('%s', (_, script, expected) => {
    expect(commands(script)).toEqual(expected);
  });

  it('splits on operators and records how each command ended', () => {
    const { commands: parsed } = parseShellScript('a; b && c || d | e &\nf');
    expect(parsed.map((c) => [text(c.words[0]), c.terminator])).toEqual([
      ['a', ';'],
      ['b', '&&'],
      ['c', '||'],
      ['d', '|'],
      ['e', '&'],
      ['f', 'end'],
    ]);
  });

  it('collects redirections apart from the words', () => {
    const [cmd] = parseShellScript('nohup python -m x > /var/log/x.log 2>&1 &').commands;
    expect(cmd?.words.map(text)).toEqual(['nohup', 'python', '-m', 'x']);
    expect(cmd?.redirects).toEqual(['>/var/log/x.log', '2>&1']);
    expect(cmd?.terminator).toBe('&');
  });

  it('numbers lines through continuations and quotes', () => {
    const script = '#!/bin/bash\nA="1\n2"\npython \\\n  --tp 4 \\  # c\n  --port 1\necho done\n';
    const { commands: parsed, commentContinuationLines } = parseShellScript(script);
    expect(parsed.map((c) => c.line)).toEqual([2, 4, 7]);
    expect(parsed[1]?.words.map((w) => w.line)).toEqual([4, 5, 5, 6, 6]);
    expect(commentContinuationLines).toEqual([5]);
  });
});
