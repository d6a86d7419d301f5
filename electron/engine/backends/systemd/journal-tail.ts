import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawn, type IDisposable, type IPty } from 'node-pty';
import type { SystemdScope } from '../../../system/systemd/systemctl.js';

const RESPAWN_MIN_MS = 250;
const RESPAWN_MAX_MS = 5_000;
/** A catch-up query reads a finished invocation; it never needs long. */
const CATCH_UP_TIMEOUT_MS = 15_000;
/**
 * After systemd's end message, journald may still be writing the last lines of the process's stream.
 * Not enough for a process that exits the instant it has written: on a loaded 2-core machine such a
 * script's lines were not found by invocation even after 1 s of quiet (late, or without the
 * invocation id journald takes from the writer's cgroup). SGLang lives for seconds at least.
 */
const SETTLE_QUIET_MS = 250;
/** How long a drain waits for systemd's end message before reading what there is. */
const SETTLE_MAX_MS = 5_000;
/** A journalctl that ends this soon without printing one entry did not start following (it failed at once). */
const QUICK_EXIT_MS = 2_000;
/** Notice lines remembered to pass each on once while journalctl keeps failing. */
const MAX_REMEMBERED_NOTICES = 100;
/** What node-pty's child prints when exec fails (the binary is missing or cannot run). */
const EXEC_FAILED = /^execvp\(3\) failed\.: (.*)$/;
/**
 * MESSAGE_IDs the service manager logs (with INVOCATION_ID=) when an invocation ends: main process
 * exited, failed with result, deactivated successfully, stopped (systemd's sd-messages.h).
 */
const END_MESSAGE_IDS = new Set(['98e322203f7a4ed290d09fe03c09fe15', 'd9b373ed55a64feb8242e02dbe79a49c', '7ad2d189f7e94e70a38c781354912448', '9d1aaa27d60140bd96365438aad20286']);

export interface JournalTailOptions {
  unit: string;
  scope: SystemdScope;
  /** Only this invocation's output is passed on (`_SYSTEMD_INVOCATION_ID`), never an earlier run's. */
  invocationId: string;
  /** The command to run instead of `journalctl`, e.g. `['systemd-sandbox', 'exec', 'journalctl']` in tests. */
  command?: readonly string[];
  /** The unit's output: each journal entry's message bytes followed by `\r\n`, as `journalctl -o cat` shows them on a terminal. */
  onOutput(chunk: string): void;
  /**
   * Lines journalctl itself printed (permission hints, errors), one per call, and what the tail says
   * when journalctl is missing or exits at once (a line is not repeated while journalctl keeps failing).
   */
  onNotice?(line: string): void;
  /**
   * journalctl cannot show this unit's log: it is not installed, or it exits at once (the message says
   * which and what to do); called again with null once it delivers entries.
   */
  onProblem?(message: string | null): void;
  /** Called once, when the manager's message that the invocation ended (exited, failed, stopped) arrives. */
  onEnd?(): void;
}

/** A running journalctl and the listeners to drop before killing it (so nothing it still prints is taken). */
interface Reader {
  pty: IPty;
  listeners: IDisposable[];
}

interface JournalEntry {
  __CURSOR?: string;
  _SYSTEMD_INVOCATION_ID?: string;
  MESSAGE_ID?: string;
  MESSAGE?: string | number[] | (string | number[])[] | null;
}

/**
 * The one place that runs `journalctl`, through node-pty (a real terminal, so journalctl flushes
 * each entry as it comes, as it does for a person). It reads `-o json`, not `-o cat`: every entry
 * carries its cursor, so a journalctl that exits while still wanted is respawned with
 * `--after-cursor` and no line is lost or repeated. The message bytes (byte arrays for messages
 * with control characters, such as tqdm's `\r` refreshes) are passed on unchanged plus `\r\n`,
 * which is what `journalctl -o cat` in a terminal would show. The manager's own messages about the
 * invocation are read too, but only to see its end (see drain); they are not passed on.
 */
export class JournalTail {
  private follower: Reader | undefined;
  private cursor: string | undefined;
  private wanted = false;
  private respawnDelayMs = RESPAWN_MIN_MS;
  private respawnTimer: NodeJS.Timeout | undefined;
  private readonly command: readonly string[];
  private endSeen = false;
  private lastEntryAtMs = 0;
  /** Set when journalctl is not there: nothing is spawned (the message was given once). */
  private missing: string | undefined;
  /** The problem reported last (missing, exits at once), until entries come. */
  private problem: string | null = null;
  /** Notice lines already passed on while journalctl keeps failing: a respawn loop does not repeat them. */
  private readonly repeatedNotices = new Set<string>();
  /** How many times journalctl was respawned after exiting on its own. */
  reconnects = 0;

  constructor(private readonly options: JournalTailOptions) {
    if (!/^[0-9a-f]{32}$/.test(options.invocationId)) throw new Error(`invalid invocation id "${options.invocationId}"`);
    this.command = options.command ?? ['journalctl'];
  }

  /** Process id of the running journalctl (or of the command prefix wrapping it). */
  get pid(): number | undefined {
    return this.follower?.pty.pid;
  }

  /** Starts following (from the invocation's first line). Says so through onNotice/onProblem when journalctl is not installed. */
  start(): void {
    this.wanted = true;
    const file = this.command[0]!;
    if (!isExecutable(file)) {
      this.missing = `journalctl not found (${file}${file.includes('/') ? '' : ' is not on the PATH'}): install systemd's journalctl to see the SGLang logs of ${this.options.unit}; the model still loads and switches, without its log lines and load progress`;
      this.report(this.missing);
      return;
    }
    this.spawnFollower();
  }

  /**
   * For an invocation that has ended: waits for systemd's end message (at most 5 s), stops
   * following, then reads what the journal holds after the last entry taken (a one-shot query),
   * so the final lines (a traceback) are never cut off.
   */
  async drain(): Promise<void> {
    if (this.missing !== undefined) return this.stop();
    // A journalctl that keeps failing will not bring systemd's end message either: no wait for it.
    if (this.problem === null) await this.settle();
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const reader = this.runJournalctl(false, () => resolve());
      timer = setTimeout(() => reader.pty.kill(), CATCH_UP_TIMEOUT_MS);
    }).finally(() => clearTimeout(timer));
  }

  /**
   * Waits until the journal holds the invocation's end: the manager's end message, then a quiet
   * moment (journald handles the process's stream and the manager's message in no fixed order).
   */
  private async settle(): Promise<void> {
    const startedAtMs = Date.now();
    while (Date.now() - startedAtMs < SETTLE_MAX_MS) {
      if (this.endSeen && Date.now() - this.lastEntryAtMs >= SETTLE_QUIET_MS) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops following at once. */
  stop(): void {
    this.wanted = false;
    clearTimeout(this.respawnTimer);
    const follower = this.follower;
    this.follower = undefined;
    if (!follower) return;
    for (const listener of follower.listeners) listener.dispose();
    follower.pty.kill();
  }

  private spawnFollower(): void {
    const startedAtMs = Date.now();
    const entriesBefore = this.entries;
    const follower = this.runJournalctl(true, (exitCode, lastLine) => {
      if (this.follower !== follower) return;
      this.follower = undefined;
      if (!this.wanted) return;
      if (this.entries === entriesBefore && Date.now() - startedAtMs < QUICK_EXIT_MS) {
        const said = lastLine ? `: ${lastLine}` : '';
        const execFailed = lastLine ? EXEC_FAILED.exec(lastLine) : null;
        this.report(
          execFailed
            ? `journalctl cannot run (${this.command[0]}: ${execFailed[1]}): install systemd's journalctl to see the SGLang logs of ${this.options.unit}; the model still loads and switches`
            : `journalctl exited at once (exit code ${exitCode}${said}): the SGLang logs of ${this.options.unit} cannot be shown; retrying every few seconds`,
        );
      }
      this.reconnects++;
      this.respawnTimer = setTimeout(() => this.wanted && this.spawnFollower(), this.respawnDelayMs);
      this.respawnDelayMs = Math.min(this.respawnDelayMs * 2, RESPAWN_MAX_MS);
    });
    this.follower = follower;
  }

  /** Says once (per streak of failures) that journalctl cannot show the log. */
  private report(message: string): void {
    if (this.problem === message) return;
    this.problem = message;
    this.options.onNotice?.(message);
    this.options.onProblem?.(message);
  }

  /** Entries read so far (to tell a journalctl that followed from one that failed at once). */
  private entries = 0;

  /**
   * Spawns journalctl in a pty, passing on each entry it prints; `onExit` runs once it has exited and its
   * output was read, with its exit code and the last line it printed that was not an entry.
   */
  private runJournalctl(follow: boolean, onExit: (exitCode: number, lastLine: string | undefined) => void): Reader {
    const [file, ...prefix] = this.command;
    const pty = spawn(file!, [...prefix, ...this.args(follow)], {
      name: 'xterm-256color',
      cols: 200,
      rows: 50,
      env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
    });
    let partial = '';
    let lastLine: string | undefined;
    const listeners = [
      pty.onData((data) => {
        const lines = (partial + data).split('\n');
        partial = lines.pop() ?? '';
        lastLine = this.consume(lines) ?? lastLine;
      }),
      pty.onExit(({ exitCode }) => onExit(exitCode, lastLine)),
    ];
    return { pty, listeners };
  }

  /** The unit's entries of this invocation: its process's output, and the manager's messages about it. */
  private args(follow: boolean): string[] {
    const { unit, scope, invocationId: id } = this.options;
    return [
      ...(scope === 'user' ? ['--user-unit', unit] : ['-u', unit]),
      `_SYSTEMD_INVOCATION_ID=${id}`,
      '+',
      `INVOCATION_ID=${id}`,
      '+',
      `USER_INVOCATION_ID=${id}`,
      ...(follow ? ['-f'] : []),
      '-o',
      'json',
      '--all',
      '--no-pager',
      '-n',
      'all',
      ...(this.cursor !== undefined ? ['--after-cursor', this.cursor] : []),
    ];
  }

  /**
   * Passes on the messages of complete lines in one chunk; anything that is not an entry is a notice.
   * Returns the last notice line, if any.
   */
  private consume(lines: string[]): string | undefined {
    let out = '';
    let notice: string | undefined;
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      const entry = parseEntry(line);
      if (!entry) {
        notice = line;
        // While journalctl keeps failing, its respawns print the same lines: each is passed on once.
        if (this.problem !== null && this.repeatedNotices.has(line)) continue;
        if (this.repeatedNotices.size >= MAX_REMEMBERED_NOTICES) this.repeatedNotices.clear();
        this.repeatedNotices.add(line);
        this.options.onNotice?.(line);
        continue;
      }
      this.entries++;
      if (this.problem !== null) {
        this.problem = null;
        this.repeatedNotices.clear();
        this.options.onProblem?.(null);
      }
      if (entry.__CURSOR !== undefined) this.cursor = entry.__CURSOR;
      this.lastEntryAtMs = Date.now();
      if (entry._SYSTEMD_INVOCATION_ID === this.options.invocationId) out += `${messageText(entry.MESSAGE)}\r\n`;
      else if (!this.endSeen && entry.MESSAGE_ID !== undefined && END_MESSAGE_IDS.has(entry.MESSAGE_ID)) {
        this.endSeen = true;
        this.options.onEnd?.();
      }
    }
    if (Date.now() - this.lastEntryAtMs < 1_000) this.respawnDelayMs = RESPAWN_MIN_MS;
    if (out !== '') this.options.onOutput(out);
    return notice;
  }
}

/** Whether `file` (a path, or a name looked up on the PATH) names an executable file. */
function isExecutable(file: string): boolean {
  const candidates = file.includes('/')
    ? [file]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

function parseEntry(line: string): JournalEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as JournalEntry) : undefined;
  } catch {
    return undefined;
  }
}

/** journalctl writes a message with control characters or invalid UTF-8 as an array of bytes. */
function messageText(message: JournalEntry['MESSAGE']): string {
  if (typeof message === 'string') return message;
  if (!Array.isArray(message)) return '';
  if (message.every((b) => typeof b === 'number')) return Buffer.from(message as number[]).toString('utf8');
  // A field given more than once comes as an array of its values.
  return message.map((m) => messageText(m as string | number[])).join(' ');
}
