import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReplayConfig } from './replay-nvidia-smi.js';

/** Real captures in test/fixtures/nvidia-smi, by what they are. */
export const REPLAY_CAPTURES = {
  rtx4080sIdle: fixture('query-csv-allfields-rtx4080super-driver595-idle.csv'),
  rtx2080sLoad: fixture('query-csv-allfields-rtx2080super-driver610-load.csv'),
  help595: fixture('help-query-gpu-driver595.txt'),
  helpPre535: fixture('help-query-gpu-pre535-netdata.txt'),
};

function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/nvidia-smi/${name}`, import.meta.url));
}

/** Writes an executable `nvidia-smi` into a fresh temp dir that replays `config`; returns its path (test support). */
export async function writeReplayNvidiaSmi(config: ReplayConfig): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replay-nvidia-smi-'));
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
  const script = fileURLToPath(new URL('./replay-nvidia-smi.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const executable = join(dir, 'nvidia-smi');
  await writeFile(executable, `#!/bin/sh\nexec ${quote(process.execPath)} --import ${quote(tsx)} ${quote(script)} ${quote(configPath)} "$@"\n`);
  await chmod(executable, 0o755);
  return executable;
}
