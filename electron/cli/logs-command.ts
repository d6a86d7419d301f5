import { parseArgs } from 'node:util';
import type { LogLine } from '../../shared/engine-state.js';
import { EngineClient } from './engine-client.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, resolveConnection } from './engine-connection.js';
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
  const { values } = parseOrUsage(USAGE, () =>
    parseArgs({ args, options: { ...CONNECTION_OPTIONS, lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } }, strict: true }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const tail = parseLineCount(values.lines);
  const client = new EngineClient(await resolveConnection(values));
  if (!values.follow) {
    const { lines } = await client.getJson<{ lines: LogLine[] }>(`/api/logs?tail=${tail}`);
    for (const line of lines) console.log(line.text);
    return 0;
  }
  return follow(client, tail);
}

function parseLineCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LINES;
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count <= MAX_LINES)) throw new UsageError(`-n must be a whole number from 0 to ${MAX_LINES}, got "${raw}"`, USAGE);
  return count;
}

/**
 * Subscribes before fetching the tail so no line falls between the two; lines already printed
 * from the tail are skipped by their sequence number. Ctrl-C ends it with exit code 0.
 */
async function follow(client: EngineClient, tail: number): Promise<number> {
  const stream = new AbortController();
  const onSigint = (): void => stream.abort();
  process.once('SIGINT', onSigint);
  try {
    const events = await client.openEvents(stream.signal);
    const { lines } = await client.getJson<{ lines: LogLine[] }>(`/api/logs?tail=${tail}`);
    for (const line of lines) console.log(line.text);
    let lastSeq = lines.at(-1)?.seq ?? 0;
    for await (const event of events) {
      if (event.event !== 'log') continue;
      const line = JSON.parse(event.data) as LogLine;
      if (line.seq <= lastSeq) continue;
      lastSeq = line.seq;
      console.log(line.text);
    }
    console.error('the engine closed the event stream');
    return 1;
  } catch (err) {
    if (stream.signal.aborted) return 0;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
