import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../system/write-file-atomic.js';

/** One SGLang server the engine started (or adopted), as recorded in `<stateDir>/servers.json`. */
export interface ServerRecord {
  slotId: string;
  modelId: string;
  /** The launched process; with the child-process backend also its process group (it leads one). */
  pid: number;
  pgid: number;
  /** /proc starttime of `pid`: a reused pid has another one, so the record never names a stranger. */
  startTicks: string;
  host: string;
  port: number;
  argv: string[];
  /** What the launch added to the environment (compared with /proc/<pid>/environ before an adoption). */
  env: Record<string, string>;
  startedAtMs: number;
  /** The engine process that started it. */
  enginePid: number;
}

const FILE_VERSION = 1;

/**
 * The servers this engine (or an earlier run with the same state dir) started and that may still
 * run: written atomically on every start and exit, so a SIGKILLed engine leaves a list its next
 * run can check. Without a state dir the list lives in memory only. Writes are serialized; a write
 * that fails is reported through `onError` and the list goes on in memory (the /proc scan by argv
 * still finds this run's servers next time).
 */
export class ServerRecords {
  private records: ServerRecord[] = [];
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string | null,
    private readonly onWrite: (error: Error | null) => void,
  ) {}

  /** Reads the file; a missing one is an empty list, a damaged one is reported and replaced at the next write. */
  static async open(path: string | null, onWrite: (error: Error | null) => void = () => undefined, onReadError: (message: string) => void = () => undefined): Promise<ServerRecords> {
    const records = new ServerRecords(path, onWrite);
    if (path) records.records = await readRecords(path, onReadError);
    return records;
  }

  list(): ServerRecord[] {
    return [...this.records];
  }

  /** Adds (or replaces, by pid) a record and writes the file. */
  add(record: ServerRecord): Promise<void> {
    this.records = [...this.records.filter((r) => r.pid !== record.pid), record];
    return this.persist();
  }

  /** Forgets a server (it exited, or it was stopped). */
  remove(pid: number): Promise<void> {
    const before = this.records.length;
    this.records = this.records.filter((r) => r.pid !== pid);
    return this.records.length === before ? this.writes : this.persist();
  }

  /** Resolves when every change so far was written (or failed). */
  flushed(): Promise<void> {
    return this.writes;
  }

  private persist(): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    const text = `${JSON.stringify({ version: FILE_VERSION, servers: this.records }, null, 2)}\n`;
    this.writes = this.writes.then(async () => {
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, text);
        this.onWrite(null);
      } catch (err) {
        this.onWrite(err as Error);
      }
    });
    return this.writes;
  }
}

async function readRecords(path: string, onReadError: (message: string) => void): Promise<ServerRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onReadError(`cannot read ${path} (${(err as Error).message}); leftover servers are looked for by their command line only`);
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { servers?: unknown };
    if (!Array.isArray(parsed.servers)) throw new Error('no "servers" list');
    return parsed.servers.filter(isRecord);
  } catch (err) {
    onReadError(`${path} is damaged (${(err as Error).message}); leftover servers are looked for by their command line only`);
    return [];
  }
}

function isRecord(value: unknown): value is ServerRecord {
  const r = value as ServerRecord;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.slotId === 'string' &&
    typeof r.modelId === 'string' &&
    Number.isInteger(r.pid) &&
    Number.isInteger(r.pgid) &&
    typeof r.startTicks === 'string' &&
    typeof r.host === 'string' &&
    Number.isInteger(r.port) &&
    Array.isArray(r.argv) &&
    r.argv.every((a) => typeof a === 'string') &&
    typeof r.env === 'object' &&
    r.env !== null &&
    typeof r.startedAtMs === 'number'
  );
}
