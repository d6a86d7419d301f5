// SGLang's log formats: `[YYYY-MM-DD HH:MM:SS( TPn)] msg` on stderr (no level names),
// uvicorn's `[ts] INFO:     msg` on stderr and its access lines on stdout.

const LEVELS = {
  NOTSET: 0,
  DEBUG: 10,
  INFO: 20,
  WARN: 30,
  WARNING: 30,
  ERROR: 40,
  FATAL: 50,
  CRITICAL: 50,
} satisfies Record<string, number>;

export type LevelName = 'debug' | 'info' | 'warning' | 'error';
const LEVEL_OF: Record<LevelName, number> = { debug: 10, info: 20, warning: 30, error: 40 };

/** Python's `getattr(logging, name.upper())`; undefined when logging has no such level. */
export function parseLogLevel(name: string): number | undefined {
  const key = name.toUpperCase();
  return Object.hasOwn(LEVELS, key) ? LEVELS[key as keyof typeof LEVELS] : undefined;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** `%Y-%m-%d %H:%M:%S` in local time. */
export function formatTimestamp(date: Date = new Date()): string {
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` + `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

export interface Sink {
  write(text: string): unknown;
}

export interface LoggerOptions {
  level: number;
  httpLevel: number;
  tpSize: number;
  stderr?: Sink;
  stdout?: Sink;
}

export class SimLogger {
  private readonly stderr: Sink;
  private readonly stdout: Sink;

  constructor(private readonly options: LoggerOptions) {
    this.stderr = options.stderr ?? process.stderr;
    this.stdout = options.stdout ?? process.stdout;
  }

  /** A main-process (or detokenizer) line. */
  main(message: string, level: LevelName = 'info'): void {
    if (LEVEL_OF[level] < this.options.level) return;
    this.stderr.write(`[${formatTimestamp()}] ${message}\n`);
  }

  /** A scheduler line; the ` TPn` prefix only exists when tp > 1. */
  rank(rank: number, message: string, level: LevelName = 'info'): void {
    if (LEVEL_OF[level] < this.options.level) return;
    const prefix = this.options.tpSize > 1 ? ` TP${rank}` : '';
    this.stderr.write(`[${formatTimestamp()}${prefix}] ${message}\n`);
  }

  /** Bytes without a log record around them (tqdm bars, Gloo noise). */
  raw(text: string): void {
    this.stderr.write(text);
  }

  uvicorn(levelName: 'INFO' | 'WARNING' | 'ERROR', message: string): void {
    if (LEVELS[levelName] < this.options.httpLevel) return;
    this.stderr.write(`[${formatTimestamp()}] ${levelName}:${' '.repeat(8 - levelName.length)} ${message}\n`);
  }

  /** uvicorn access line, e.g. `127.0.0.1:51642 - "GET /get_model_info HTTP/1.1" 200 OK`. */
  access(clientAddr: string, requestLine: string, status: string): void {
    if (LEVELS.INFO < this.options.httpLevel) return;
    this.stdout.write(`[${formatTimestamp()}] INFO:     ${clientAddr} - "${requestLine}" ${status}\n`);
  }
}
