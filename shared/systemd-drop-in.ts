/** File name of the drop-in the switchboard owns inside `<unit>.d/`. */
export const DROP_IN_FILE_NAME = '50-switchboard.conf';

/** What a drop-in selects: the command (argv, never a shell string) and the variables to add. */
export interface DropInLaunch {
  argv: string[];
  env: Record<string, string>;
  /** Named in a comment, so an administrator reading the file sees which model it selects. */
  modelId?: string;
}

/** Words that need neither quotes nor escapes in a systemd command line ('%' and '$' are doubled separately). */
const BARE_WORD = /^[\p{L}\p{N}_@%+=:,./$-]+$/u;
/** Prefixes systemd reads as flags on the executable (`-`, `@`, `:`, `+`, `!`), even when quoted. */
const EXEC_PREFIX = /^[-@:+!]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const C_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\t': '\\t', '\r': '\\r', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

/**
 * One word of an `ExecStart=` line, quoted as systemd.service(5) "Command lines" reads it back:
 * `%` → `%%` (specifiers), `$` → `$$` (variable expansion), and any word with whitespace, quotes,
 * backslashes, control characters or a lone `;` double-quoted with C-style escapes.
 * Throws on NUL and newlines, which a command line cannot carry.
 */
export function quoteSystemdArg(arg: string): string {
  rejectUnsafe(arg, 'argument');
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', () => '$$');
  return BARE_WORD.test(arg) ? escaped : `"${cEscape(escaped)}"`;
}

/**
 * Added to the unit's own `SuccessExitStatus=` (a list; a drop-in's non-empty value appends): SGLang
 * answers the SIGTERM of every `systemctl stop` of a loaded model (an eviction, a switch, a manual
 * stop) with a drain, then SIGKILLs its own process tree, itself included. systemd would record
 * that as `Result: signal` and leave the unit `failed` after each normal stop. A stop during
 * loading needs nothing: SIGTERM (Python's default handling) is a clean end for systemd already.
 *
 * The trade-off: a crash in which SGLang SIGKILLs itself (CUDA OOM, a scheduler exception, a
 * failed warmup) now ends `inactive` (Result: success) too, and `Restart=on-failure` no longer
 * restarts it (the example units add `RestartForceExitStatus=SIGKILL` for that). The engine never
 * relied on `failed`: it diagnoses a failure from the invocation's journal lines (SGLang's traceback
 * and "Received sigquit…" lines) and from the end of the invocation, whatever systemd calls it.
 * A stop that outlives `TimeoutStopSec=` still ends `failed` (Result: timeout): systemd's SIGKILL
 * after the timeout is not the main process's own exit status.
 */
export const STOP_SUCCESS_EXIT_STATUS = 'SIGKILL';

/**
 * The content of `<unit>.d/50-switchboard.conf`: resets the unit's `ExecStart=`, sets the model's
 * command, adds one `Environment=` line per variable (the unit's own `Environment=` lines stay),
 * and `SuccessExitStatus=SIGKILL` so that a stopped or evicted instance ends `inactive`, not `failed`
 * (see STOP_SUCCESS_EXIT_STATUS). Throws on an empty argv, an executable starting with a systemd
 * prefix character, invalid variable names, or NUL/newlines anywhere.
 */
export function renderDropIn(launch: DropInLaunch): string {
  const [command] = launch.argv;
  if (command === undefined || command === '') throw new Error('empty command line');
  if (EXEC_PREFIX.test(command)) throw new Error(`executable "${command}" starts with a character systemd reads as a prefix flag`);
  const lines = [
    '# Written by SGLang Switchboard on every model switch; edits here are overwritten.',
    ...(launch.modelId !== undefined ? [`# model: ${oneLine(launch.modelId)}`] : []),
    '[Service]',
    'ExecStart=',
    `ExecStart=${launch.argv.map(quoteSystemdArg).join(' ')}`,
    '# SGLang SIGKILLs itself at the end of every stop; without this each stop would leave the unit failed.',
    `SuccessExitStatus=${STOP_SUCCESS_EXIT_STATUS}`,
    ...Object.entries(launch.env).map(([name, value]) => environmentLine(name, value)),
  ];
  return `${lines.join('\n')}\n`;
}

/** `Environment="NAME=value"`: no `$` expansion happens there, but specifiers and C escapes do. */
function environmentLine(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name "${name}"`);
  rejectUnsafe(value, `value of ${name}`);
  return `Environment="${cEscape(`${name}=${value}`.replaceAll('%', '%%'))}"`;
}

function cEscape(text: string): string {
  return text.replace(/[\\"\x00-\x1f\x7f]/g, (ch) => C_ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function rejectUnsafe(text: string, what: string): void {
  if (text.includes('\0')) throw new Error(`${what} contains a NUL character`);
  if (text.includes('\n')) throw new Error(`${what} contains a newline: ${JSON.stringify(text)}`);
}

function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}
