// A small argparse (Python 3.12) look-alike for `launch_server.py`: allow_abbrev prefixes,
// `--opt=value`, store_true flags, nargs=+/*, choices, and argparse's exact error texts.
import { ARG_SPECS, type ArgSpec } from './arg-specs.js';
import { PyFloat, pyRepr, pyStrRepr, type PyValue } from './python-repr.js';

export const PROG = 'launch_server.py';

export type ParseOutcome = { kind: 'ok'; values: Map<string, PyValue> } | { kind: 'error'; message: string } | { kind: 'help' };

type Classified = { kind: 'value' } | { kind: 'unknown-option' } | { kind: 'help' } | { kind: 'option'; spec: ArgSpec; explicit: string | undefined };

class ArgparseError extends Error {}

function buildOptionMap(specs: readonly ArgSpec[]): Map<string, ArgSpec> {
  const map = new Map<string, ArgSpec>();
  for (const spec of specs) for (const option of spec.optionStrings) map.set(option, spec);
  return map;
}

function classify(arg: string, options: Map<string, ArgSpec>): Classified {
  if (!arg.startsWith('-') || arg === '-') return { kind: 'value' };
  if (arg === '-h' || arg === '--help') return { kind: 'help' };
  const exact = options.get(arg);
  if (exact) return { kind: 'option', spec: exact, explicit: undefined };
  const eq = arg.indexOf('=');
  const prefix = eq >= 0 ? arg.slice(0, eq) : arg;
  const explicit = eq >= 0 ? arg.slice(eq + 1) : undefined;
  const withValue = options.get(prefix);
  if (withValue) return { kind: 'option', spec: withValue, explicit };
  if (arg.startsWith('--')) {
    const matches = [...options.keys()].filter((option) => option.startsWith(prefix));
    if ('--help'.startsWith(prefix)) matches.unshift('--help');
    if (matches.length > 1) {
      throw new ArgparseError(`ambiguous option: ${arg} could match ${matches.join(', ')}`);
    }
    const [match] = matches;
    if (match !== undefined) {
      if (match === '--help') return { kind: 'help' };
      return { kind: 'option', spec: options.get(match)!, explicit };
    }
  }
  if (/^-\d+$|^-\d*\.\d+$/.test(arg)) return { kind: 'value' };
  if (arg.includes(' ')) return { kind: 'value' };
  return { kind: 'unknown-option' };
}

function convertOne(spec: ArgSpec, raw: string): PyValue {
  const name = spec.optionStrings.join('/');
  const base = spec.kind.replace(/[+*]$/, '');
  let value: PyValue = raw;
  if (base === 'int') {
    if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(raw)) throw new ArgparseError(`argument ${name}: invalid int value: ${pyStrRepr(raw)}`);
    value = Number(raw.trim().replace(/_/g, ''));
  } else if (base === 'float') {
    const text = raw.trim().toLowerCase();
    const special = new Map([
      ['inf', Infinity],
      ['+inf', Infinity],
      ['-inf', -Infinity],
      ['nan', NaN],
      ['infinity', Infinity],
    ]);
    const parsed = special.get(text) ?? (/^[+-]?(\d+(_\d+)*\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text) ? Number(text.replace(/_/g, '')) : NaN);
    if (Number.isNaN(parsed) && text !== 'nan') throw new ArgparseError(`argument ${name}: invalid float value: ${pyStrRepr(raw)}`);
    value = new PyFloat(parsed);
  }
  if (spec.choices && !spec.choices.includes(value as string | number)) {
    const choices = spec.choices.map((choice) => pyRepr(choice)).join(', ');
    throw new ArgparseError(`argument ${name}: invalid choice: ${pyRepr(value)} (choose from ${choices})`);
  }
  return value;
}

/** Consumes the option's values starting at argv[start]; returns the value and the next index. */
function consumeOption(spec: ArgSpec, explicit: string | undefined, argv: readonly string[], start: number, options: Map<string, ArgSpec>): [PyValue, number] {
  const name = spec.optionStrings.join('/');
  if (spec.kind === 'flag') {
    if (explicit !== undefined) throw new ArgparseError(`argument ${name}: ignored explicit argument ${pyStrRepr(explicit)}`);
    return [true, start];
  }
  const isList = spec.kind.endsWith('+') || spec.kind.endsWith('*');
  const raws: string[] = [];
  let next = start;
  if (explicit !== undefined) raws.push(explicit);
  else {
    for (let word = argv[next]; word !== undefined && word !== '--' && classify(word, options).kind === 'value'; word = argv[next]) {
      raws.push(word);
      next += 1;
      if (!isList) break;
    }
  }
  if (raws.length === 0 && !spec.kind.endsWith('*')) {
    throw new ArgparseError(`argument ${name}: ${spec.kind.endsWith('+') ? 'expected at least one argument' : 'expected one argument'}`);
  }
  const values = raws.map((raw) => convertOne(spec, raw));
  // A single-value option has exactly one (none threw above); `?? null` only satisfies the type.
  return [isList ? values : (values[0] ?? null), next];
}

export function parseArgs(argv: readonly string[], specs: readonly ArgSpec[] = ARG_SPECS): ParseOutcome {
  const options = buildOptionMap(specs);
  const values = new Map<string, PyValue>();
  const extras: string[] = [];
  try {
    let index = 0;
    for (let arg = argv[index]; arg !== undefined; arg = argv[index]) {
      if (arg === '--') {
        extras.push(...argv.slice(index + 1));
        break;
      }
      const classified = classify(arg, options);
      index += 1;
      if (classified.kind === 'help') return { kind: 'help' };
      if (classified.kind !== 'option') {
        extras.push(arg);
        continue;
      }
      const [value, next] = consumeOption(classified.spec, classified.explicit, argv, index, options);
      values.set(classified.spec.dest, value);
      index = next;
    }
    const missing = specs.filter((spec) => spec.required && !values.has(spec.dest));
    if (missing.length > 0) {
      throw new ArgparseError(`the following arguments are required: ${missing.map((s) => s.optionStrings.join('/')).join(', ')}`);
    }
    if (extras.length > 0) throw new ArgparseError(`unrecognized arguments: ${extras.join(' ')}`);
  } catch (error) {
    if (error instanceof ArgparseError) return { kind: 'error', message: error.message };
    throw error;
  }
  return { kind: 'ok', values };
}

function usagePart(spec: ArgSpec): string {
  const [option = spec.dest] = spec.optionStrings;
  let inner = option;
  if (spec.kind !== 'flag') {
    const metavar = spec.choices ? `{${spec.choices.join(',')}}` : spec.dest.toUpperCase();
    const args = spec.kind.endsWith('+') ? `${metavar} [${metavar} ...]` : spec.kind.endsWith('*') ? `[${metavar} ...]` : metavar;
    inner = `${option} ${args}`;
  }
  return spec.required ? inner : `[${inner}]`;
}

/** argparse's usage text (`usage: ...\n`), wrapped like HelpFormatter at $COLUMNS-2 (default 78). */
export function formatUsage(specs: readonly ArgSpec[] = ARG_SPECS, columns = Number(process.env.COLUMNS) || 80): string {
  const width = columns - 2;
  const prefix = 'usage: ';
  const optUsage = ['[-h]', ...specs.map(usagePart)].join(' ');
  if (prefix.length + PROG.length + 1 + optUsage.length <= width) return `${prefix}${PROG} ${optUsage}\n`;
  const parts = optUsage.match(/\(.*?\)+(?=\s|$)|\[.*?\]+(?=\s|$)|\S+/g) ?? [];
  const indent = ' '.repeat(prefix.length + PROG.length + 1);
  const lines: string[] = [];
  let line: string[] = [];
  let lineLength = prefix.length - 1;
  for (const part of [PROG, ...parts]) {
    if (lineLength + 1 + part.length > width && line.length > 0) {
      lines.push(indent + line.join(' '));
      line = [];
      lineLength = indent.length - 1;
    }
    line.push(part);
    lineLength += part.length + 1;
  }
  if (line.length > 0) lines.push(indent + line.join(' '));
  if (lines[0] !== undefined) lines[0] = lines[0].slice(indent.length);
  return `${prefix}${lines.join('\n')}\n`;
}

/** The stderr text of `parser.error(message)` (the caller exits with code 2). */
export function formatArgparseError(message: string): string {
  return `${formatUsage()}${PROG}: error: ${message}\n`;
}

export function formatHelp(specs: readonly ArgSpec[] = ARG_SPECS): string {
  const rows = specs.map((spec) => `  ${usagePart(spec).replace(/^\[|\]$/g, '')}`);
  return `${formatUsage(specs)}\noptions:\n  -h, --help            show this help message and exit\n${rows.join('\n')}\n`;
}
