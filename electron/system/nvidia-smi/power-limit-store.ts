import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../write-file-atomic.js';

/** The file's name inside the helper's state directory. */
export const POWER_LIMITS_FILE = 'power-limits.json';

const fileSchema = z.object({
  version: z.literal(1),
  limits: z.record(z.string(), z.object({ watts: z.number().positive(), confirmedAt: z.string() })),
});

/** Confirmed power limits by GPU UUID (indexes and bus ids can change between boots; UUIDs do not). */
export type PersistedPowerLimits = z.infer<typeof fileSchema>['limits'];

/** `<stateDir>/power-limits.json`: the limits the helper re-applies when it starts. Not safe for concurrent writers. */
export class PowerLimitStore {
  readonly path: string;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, POWER_LIMITS_FILE);
  }

  /** The persisted limits; empty when there is no file yet. Rejects when the file is unreadable or malformed. */
  async read(): Promise<PersistedPowerLimits> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.path}: not valid JSON`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${this.path}: not a power-limits file (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return parsed.data.limits;
  }

  /** Records `watts` for `uuid`. A crash leaves either the old file or the new one, never a torn one. */
  async set(uuid: string, watts: number, now = new Date()): Promise<void> {
    const limits = { ...(await this.read()), [uuid]: { watts, confirmedAt: now.toISOString() } };
    await this.write(`${JSON.stringify({ version: 1, limits }, null, 2)}\n`);
  }

  private async write(text: string): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(this.path, text, 0o644);
  }
}
