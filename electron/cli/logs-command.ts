import { parseArgs } from 'node:util';
import type { LogLine } from '../../shared/engine-state.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine, type EngineSession } from './engine-session.js';
import { parseOrUsage, UsageError } from './usage-error.js';

const USAGE = `usage: switchboard logs [-n N] [-f] [options]

Prints the last N backend log lines (default 50, at most 10000); -f keeps following new lines
until Ctrl-C.

  -n, --lines N    how many lines to print first
  -f, --follow     keep printing lines as they arrive
${CONNECTION_USAGE}`;

const DEFAULT_LINES = 50;
const MAX_LINES = 10_000;

export async function runLogs(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () => parseArgs({ args, options: { ...CONNECTION_OPTIONS, lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } }, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const tail = parseLineCount(values.lines);
  return withEngine(values, async (engine) => {
    if (values.follow) return follow(engine, tail);
    for (const line of await engine.api['logs.tail']({ tail })) console.log(line.text);
    return 0;
  });
}

function parseLineCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LINES;
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count <= MAX_LINES)) throw new UsageError(`-n must be a whole number from 0 to ${MAX_LINES}, got "${raw}"`, USAGE);
  return count;
}

/**
 * Subscribes before fetching the tail so no line falls between the two; lines already printed
 * from the tail are skipped by their sequence number. Ctrl-C ends it with exit code 0, the engine
 * going away with 1.
 */
async function follow(engine: EngineSession, tail: number): Promise<number> {
  /** The last line printed; null while the tail is on its way (lines that come meanwhile wait in `early`). */
  let lastSeq: number | null = null;
  const early: LogLine[] = [];
  const print = (line: LogLine): void => {
    if (lastSeq !== null && line.seq <= lastSeq) return;
    lastSeq = line.seq;
    console.log(line.text);
  };
  const unsubscribe = engine.subscribe((event) => {
    if (event.type !== 'log') return;
    if (lastSeq === null) early.push(event.line);
    else print(event.line);
  });
  let onSigint!: () => void;
  const interrupted = new Promise<number>((resolve) => (onSigint = () => resolve(0)));
  process.once('SIGINT', onSigint);
  const following = (async () => {
    const lines = await engine.api['logs.tail']({ tail });
    for (const line of lines) console.log(line.text);
    lastSeq = lines.at(-1)?.seq ?? 0;
    for (const line of early.splice(0)) print(line);
    await engine.dropped;
    console.error('the engine closed the event stream');
    return 1;
  })();
  // After Ctrl-C the tail call may still fail as the connection closes; that is no error then.
  following.catch(() => undefined);
  try {
    return await Promise.race([interrupted, following]);
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
}
