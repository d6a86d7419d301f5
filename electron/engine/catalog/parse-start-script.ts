import { basename } from 'node:path';
import type { ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { ImportNote, ImportReport } from '../../../shared/switchboard-api.js';
import { mapLaunchArgs, sanitizeModelId, type ResolvedWord } from './map-launch-args.js';
import { parseShellScript, type ShellCommand, type ShellWord } from './shell-words.js';

export type { ImportNote, ImportReport } from '../../../shared/switchboard-api.js';

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const PREFIX_COMMANDS = new Set(['nohup', 'exec', 'time', 'env']);
const LABEL_COMMENT = /^#\s*start\s+sglang\s*[:\-–]\s*(.+?)\s*$/im;

/** Reads one `start_sglang_*.sh` into a catalog entry, reporting everything it could not map. */
export function parseStartScript(text: string, scriptPath: string): { entry?: ModelEntryInput; report: ImportReport } {
  return new ScriptImport(text, scriptPath).run();
}

class ScriptImport {
  private readonly notes: ImportNote[] = [];
  private readonly vars = new Map<string, string>();
  private readonly env: Record<string, string> = {};
  private gpus?: number[];
  private venv?: string;
  private launch?: { words: ResolvedWord[]; line: number; command: ShellCommand };
  private pipelineFromLaunch = false;
  /** Expansion notes of the current command, kept only if the command is imported. */
  private pending: ImportNote[] = [];

  constructor(
    private readonly text: string,
    private readonly scriptPath: string,
  ) {}

  run(): { entry?: ModelEntryInput; report: ImportReport } {
    const script = parseShellScript(this.text);
    if (script.commentContinuationLines.length > 0) {
      this.note('info', `lines ${script.commentContinuationLines.join(', ')} end in "\\  # comment", which ends the command in bash; read as continuations`);
    }
    for (const command of script.commands) this.command(command);
    if (!this.launch) {
      this.note('error', 'no `python -m sglang.launch_server` command found; nothing imported');
      return { report: { script: this.scriptPath, notes: this.sortedNotes() } };
    }
    const entry = this.entry(this.launch);
    const suggestedCommand = this.suggestCommand(this.launch.words);
    return { entry, report: { script: this.scriptPath, id: entry.id, suggestedCommand, notes: this.sortedNotes() } };
  }

  private sortedNotes(): ImportNote[] {
    return [...this.notes].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }

  private note(severity: ImportNote['severity'], message: string, line?: number): void {
    this.notes.push({ ...(line !== undefined ? { line } : {}), severity, message });
  }

  private command(command: ShellCommand): void {
    this.pending = [];
    const words = command.words.map((w) => this.resolve(w));
    if (this.pipelineFromLaunch) {
      this.note('warning', `output piped into \`${words.map((w) => w.text).join(' ')}\`: not imported; switchboard captures SGLang's output`, command.line);
    } else if (this.dispatch(words, command)) {
      this.notes.push(...this.pending);
    }
    if (this.pipelineFromLaunch || this.isLaunchCommand(command)) this.terminator(command);
  }

  private isLaunchCommand(command: ShellCommand): boolean {
    return this.launch?.command === command;
  }

  private terminator(command: ShellCommand): void {
    if (command.terminator === '|') {
      this.pipelineFromLaunch = true;
      return;
    }
    this.pipelineFromLaunch = false;
    if (command.terminator === '&') this.note('info', 'runs in the background (&): switchboard runs and supervises the server itself', command.line);
    if (command.terminator === '&&' || command.terminator === '||') this.note('warning', `chained with ${command.terminator}: the following command is not part of the launch`, command.line);
    if (command.redirects.length > 0) this.note('info', `output redirection ${command.redirects.join(' ')} dropped: switchboard captures the logs`, command.line);
  }

  /** Imports what it can of one command; false when nothing of it was imported. */
  private dispatch(words: ResolvedWord[], command: ShellCommand): boolean {
    const line = command.line;
    // The leading `NAME=value` words (assignments for this command only, or shell variables).
    const assignments: [string, string][] = [];
    for (const word of words) {
      const [, name, value] = ASSIGNMENT.exec(word.text) ?? [];
      if (name === undefined || value === undefined) break;
      assignments.push([name, value]);
    }
    const k = assignments.length;
    const rest = words.slice(k);
    const program = rest[0]?.text;
    if (program === undefined) this.shellVariables(assignments, line);
    else if (program === 'export') this.exportCommand(rest.slice(1), line);
    else if (program === 'source' || program === '.') this.sourceCommand(rest[1]?.text ?? '', line);
    else if (PREFIX_COMMANDS.has(program) && rest.length > 1) {
      this.note('info', `\`${program}\` dropped: switchboard starts and supervises the server itself`, line);
      return this.dispatch([...words.slice(0, k), ...rest.slice(1)], command);
    } else if (isLaunch(rest)) this.launchCommand(rest, assignments, command);
    else {
      this.note('warning', `not imported: \`${this.sourceText(command)}\``, line);
      return false;
    }
    return true;
  }

  private shellVariables(assignments: [string, string][], line: number): void {
    for (const [name, value] of assignments) {
      this.vars.set(name, value);
      this.note('info', `shell variable ${name}=${value} is not kept; only used to expand $${name} below`, line);
    }
  }

  private exportCommand(args: ResolvedWord[], line: number): void {
    for (const arg of args) {
      const [, name, value] = ASSIGNMENT.exec(arg.text) ?? [];
      if (name !== undefined && value !== undefined) this.setEnv(name, value, line);
      else if (this.vars.has(arg.text)) this.setEnv(arg.text, this.vars.get(arg.text)!, line);
      else this.note('warning', `export ${arg.text}: no value to import`, line);
    }
  }

  private setEnv(name: string, value: string, line: number): void {
    this.vars.set(name, value);
    if (name !== 'CUDA_VISIBLE_DEVICES') {
      this.env[name] = value;
      return;
    }
    if (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(value)) {
      this.gpus = value.split(',').map((s) => Number(s.trim()));
    } else {
      this.env[name] = value;
      this.note('warning', `CUDA_VISIBLE_DEVICES=${value} is not a list of GPU indices; kept in env instead of gpus`, line);
    }
  }

  private sourceCommand(file: string, line: number): void {
    const venv = /^(.*)\/bin\/activate$/.exec(file)?.[1];
    if (venv) this.venv = venv;
    const hint = venv ? `${venv}/bin/python` : "that environment's python";
    this.note('warning', `\`source ${file}\` is not imported: set sglang.command to ${hint}`, line);
  }

  private launchCommand(words: ResolvedWord[], assignments: [string, string][], command: ShellCommand): void {
    if (this.launch) {
      this.note('warning', `another launch command (line ${command.line}) is not imported: one model per script`, command.line);
      return;
    }
    for (const [name, value] of assignments) this.setEnv(name, value, command.line);
    this.launch = { words, line: command.line, command };
  }

  private entry(launch: { words: ResolvedWord[]; line: number }): ModelEntryInput {
    const args = launch.words.slice(launch.words.findIndex((w) => w.text === '-m') + 2);
    const mapped = mapLaunchArgs(args, (severity, message, line) => this.note(severity, message, line));
    const id = mapped.id ?? this.idFromScriptName();
    const label = LABEL_COMMENT.exec(this.text)?.[1];
    if (mapped.modelPath === undefined) {
      this.note('warning', 'no --model-path in the launch command; imported as a script model that runs the script as is', launch.line);
      return { id, ...(label ? { label } : {}), script: this.scriptPath };
    }
    return {
      id,
      ...(label ? { label } : {}),
      modelPath: mapped.modelPath,
      ...mapped.fields,
      ...(this.gpus ? { gpus: this.gpus } : {}),
      ...(mapped.extraArgs.length > 0 ? { extraArgs: mapped.extraArgs } : {}),
      ...(Object.keys(this.env).length > 0 ? { env: this.env } : {}),
    };
  }

  private idFromScriptName(): string {
    const name = basename(this.scriptPath)
      .replace(/^start_sglang_/, '')
      .replace(/\.sh$/, '');
    const id = sanitizeModelId(name);
    this.note('info', `no --served-model-name; id "${id}" taken from the script name`);
    return id;
  }

  private suggestCommand(words: ResolvedWord[]): string[] {
    const launcher = words.slice(0, words.findIndex((w) => w.text === '-m') + 2).map((w) => w.text);
    if (this.venv && /^python[\d.]*$/.test(launcher[0] ?? '')) launcher[0] = `${this.venv}/bin/python`;
    this.note('info', `suggested sglang.command: ${JSON.stringify(launcher)}`);
    return launcher;
  }

  private resolve(word: ShellWord): ResolvedWord {
    let text = '';
    for (const part of word.parts) {
      if (part.kind === 'text') text += part.text;
      else if (part.kind === 'var' && this.vars.has(part.name)) {
        text += this.vars.get(part.name);
        this.pending.push({ line: word.line, severity: 'info', message: `${part.raw} expanded to "${this.vars.get(part.name)}" (set earlier in the script)` });
      } else {
        text += part.raw;
        const what = part.kind === 'var' ? `${part.raw} is not set in the script` : `command substitution ${part.raw} cannot be imported`;
        this.pending.push({ line: word.line, severity: 'warning', message: `${what}; left as "${part.raw}"` });
      }
    }
    return { text, line: word.line };
  }

  /** The command as written on its first line (for messages). */
  private sourceText(command: ShellCommand): string {
    return this.text.split('\n')[command.line - 1]?.trim() ?? '';
  }
}

function isLaunch(words: ResolvedWord[]): boolean {
  return words.some((w, k) => w.text === '-m' && words[k + 1]?.text === 'sglang.launch_server');
}
