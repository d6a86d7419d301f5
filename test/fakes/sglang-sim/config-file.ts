// `--config FILE.yaml`: SGLang turns the YAML mapping into CLI arguments placed before the
// command-line ones, so command-line values win (ConfigArgumentMerger).
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class ConfigFileError extends Error {}

function yamlToArgs(config: unknown): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const args: string[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (typeof value === 'boolean') {
      if (value) args.push(`--${key}`);
    } else if (Array.isArray(value)) {
      args.push(`--${key}`, ...value.map((item) => String(item)));
    } else {
      args.push(`--${key}`, String(value));
    }
  }
  return args;
}

/** Returns argv with `--config FILE` replaced by the file's options (first) and the rest after. */
export function mergeConfigFile(argv: readonly string[]): string[] {
  const index = argv.indexOf('--config');
  if (index < 0) return [...argv];
  const path = argv[index + 1];
  if (path === undefined) throw new ConfigFileError('No config file specified after --config flag');
  if (!/\.ya?ml$/.test(path)) throw new ConfigFileError('Config file must be YAML format with .yaml or .yml extension');
  if (!existsSync(path)) throw new ConfigFileError(`Config file not found: ${path}`);
  const config = parseYaml(readFileSync(path, 'utf8'));
  const rest = [...argv.slice(0, index), ...argv.slice(index + 2)];
  return [...yamlToArgs(config), ...rest];
}
