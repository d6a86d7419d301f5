/** A piece of a shell word: literal text, a `$NAME`/`${…}` expansion or a `$(…)`/backtick substitution. */
export type WordPart = { kind: 'text'; text: string } | { kind: 'var'; name: string; raw: string } | { kind: 'command'; raw: string };

export interface ShellWord {
  parts: WordPart[];
  /** 1-based line where the word starts. */
  line: number;
}

/** What ended a command. */
export type CommandTerminator = 'newline' | 'end' | ';' | '&' | '|' | '&&' | '||';

export interface ShellCommand {
  line: number;
  words: ShellWord[];
  /** Redirections as written, e.g. `>/var/log/x.log`, `2>&1`. */
  redirects: string[];
  terminator: CommandTerminator;
}

export interface ShellScript {
  commands: ShellCommand[];
  /**
   * Lines ending in `\  # comment` (or `\` plus spaces). Bash ends the command there; people
   * who write it mean a continuation, so it is read as one.
   */
  commentContinuationLines: number[];
}

const QUIRK_CONTINUATION = /^\\[ \t]+(#[^\n]*)?(\r?\n|$)/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const SPECIAL_PARAM = /^[0-9@*#?$!-]/;

/**
 * Splits a bash script into simple commands and words: quotes, escapes, comments,
 * continuations, `$` expansions (kept unexpanded), operators and redirections. Control flow
 * (`if`, functions, here-documents) is not understood; such lines come out as odd commands.
 */
export function parseShellScript(text: string): ShellScript {
  return new ShellReader(text).read();
}

class ShellReader {
  private i = 0;
  private line = 1;
  private word: ShellWord | null = null;
  private words: ShellWord[] = [];
  private redirects: string[] = [];
  private readonly commands: ShellCommand[] = [];
  private readonly quirkLines: number[] = [];

  constructor(private readonly text: string) {}

  read(): ShellScript {
    while (this.i < this.text.length) this.readOne();
    this.endCommand('end');
    return { commands: this.commands, commentContinuationLines: this.quirkLines };
  }

  private readOne(): void {
    const c = this.text.charAt(this.i);
    if (c === '\n') return this.newline();
    if (c === ' ' || c === '\t' || c === '\r') return this.skip(1);
    if (c === '#' && this.word === null) return this.skipComment();
    if (c === '\\') return this.backslash();
    if (c === "'") return this.singleQuoted();
    if (c === '"') return this.doubleQuoted();
    if (c === '$') return this.dollar();
    if (c === '`') return this.backtick();
    if (c === '<' || c === '>' || (c === '&' && this.text[this.i + 1] === '>')) return this.redirect();
    if (c === ';' || c === '&' || c === '|') return this.operator();
    this.appendText(c);
    this.i++;
  }

  private skip(n: number): void {
    this.endWord();
    this.i += n;
  }

  private newline(): void {
    this.endCommand('newline');
    this.i++;
    this.line++;
  }

  private skipComment(): void {
    while (this.i < this.text.length && this.text[this.i] !== '\n') this.i++;
  }

  private backslash(): void {
    const next = this.text[this.i + 1];
    if (next === '\n' || (next === '\r' && this.text[this.i + 2] === '\n')) {
      this.i += next === '\n' ? 2 : 3;
      this.line++;
      return;
    }
    const quirk = QUIRK_CONTINUATION.exec(this.text.slice(this.i, this.text.indexOf('\n', this.i) + 1 || undefined));
    if (quirk) {
      this.endWord();
      this.quirkLines.push(this.line);
      this.i += quirk[0].length;
      if (quirk[2]) this.line++;
      return;
    }
    if (next !== undefined) this.appendText(next);
    this.i += 2;
  }

  private singleQuoted(): void {
    const end = this.text.indexOf("'", this.i + 1);
    const close = end === -1 ? this.text.length : end;
    this.appendText(this.text.slice(this.i + 1, close));
    this.countLines(this.i + 1, close);
    this.i = close + 1;
  }

  private doubleQuoted(): void {
    this.appendText('');
    this.i++;
    while (this.i < this.text.length && this.text[this.i] !== '"') {
      const c = this.text.charAt(this.i);
      const next = this.text[this.i + 1];
      if (c === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
        if (next === '\n') this.line++;
        else this.appendText(next);
        this.i += 2;
      } else if (c === '$') this.dollar();
      else if (c === '`') this.backtick();
      else {
        if (c === '\n') this.line++;
        this.appendText(c);
        this.i++;
      }
    }
    this.i++;
  }

  private dollar(): void {
    const rest = this.text.slice(this.i + 1);
    if (rest.startsWith('(')) return this.substitution(this.matchParen(this.i + 1));
    if (rest.startsWith('{')) {
      const close = this.text.indexOf('}', this.i);
      const end = close === -1 ? this.text.length : close + 1;
      const inner = this.text.slice(this.i + 2, end - 1);
      return this.appendPart({ kind: 'var', name: inner, raw: this.text.slice(this.i, end) }, end);
    }
    const name = NAME.exec(rest)?.[0] ?? SPECIAL_PARAM.exec(rest)?.[0];
    if (!name) {
      this.appendText('$');
      this.i++;
      return;
    }
    this.appendPart({ kind: 'var', name, raw: `$${name}` }, this.i + 1 + name.length);
  }

  private backtick(): void {
    const close = this.text.indexOf('`', this.i + 1);
    this.substitution(close === -1 ? this.text.length : close + 1);
  }

  private substitution(end: number): void {
    this.appendPart({ kind: 'command', raw: this.text.slice(this.i, end) }, end);
  }

  private matchParen(open: number): number {
    let depth = 0;
    for (let j = open; j < this.text.length; j++) {
      if (this.text[j] === '(') depth++;
      else if (this.text[j] === ')' && --depth === 0) return j + 1;
    }
    return this.text.length;
  }

  private redirect(): void {
    // A word of digits right before `>` is a file descriptor (`2>&1`), not an argument.
    const [only] = this.word?.parts ?? [];
    const fd = this.word?.parts.length === 1 && only?.kind === 'text' && /^\d+$/.test(only.text) ? only.text : '';
    if (fd) this.word = null;
    this.endWord();
    const op = /^(&>>|&>|>>|>&|>\||<<<|<<|<&|<>|>|<)/.exec(this.text.slice(this.i))![0];
    this.i += op.length;
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.i++;
    const target = /^[^\s;&|<>]*/.exec(this.text.slice(this.i))![0];
    this.i += target.length;
    this.redirects.push(`${fd}${op}${target}`);
  }

  private operator(): void {
    const op = /^(&&|\|\||;;|[;&|])/.exec(this.text.slice(this.i))![0];
    this.i += op.length;
    this.endCommand(op === ';;' ? ';' : (op as CommandTerminator));
  }

  private appendText(text: string): void {
    const word = (this.word ??= { parts: [], line: this.line });
    const last = word.parts[word.parts.length - 1];
    if (last?.kind === 'text') last.text += text;
    else word.parts.push({ kind: 'text', text });
  }

  private appendPart(part: WordPart, end: number): void {
    (this.word ??= { parts: [], line: this.line }).parts.push(part);
    this.countLines(this.i, end);
    this.i = end;
  }

  private countLines(from: number, to: number): void {
    for (let j = from; j < to; j++) if (this.text[j] === '\n') this.line++;
  }

  private endWord(): void {
    if (this.word) this.words.push(this.word);
    this.word = null;
  }

  private endCommand(terminator: CommandTerminator): void {
    this.endWord();
    if (this.words.length > 0 || this.redirects.length > 0) {
      this.commands.push({ line: this.words[0]?.line ?? this.line, words: this.words, redirects: this.redirects, terminator });
    }
    this.words = [];
    this.redirects = [];
  }
}
