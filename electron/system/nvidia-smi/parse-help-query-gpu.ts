// `nvidia-smi --help-query-gpu`: blocks of `"name" or "alias"` lines followed by a description.

const FIELD_LINE = /^"[^"]+"(?: or "[^"]+")*\s*$/;

/** The fields a driver accepts: `fields` in canonical spelling and help order, `names` with every alias too. */
export interface QueryGpuHelp {
  fields: string[];
  names: Set<string>;
}

/** Reads the help text; description lines that merely start with a quote ("0: Default" means …) are skipped. */
export function parseHelpQueryGpu(text: string): QueryGpuHelp {
  const help: QueryGpuHelp = { fields: [], names: new Set() };
  for (const line of text.split(/\r?\n/)) {
    if (!FIELD_LINE.test(line)) continue;
    // The group is mandatory, so every match has it; FIELD_LINE guarantees at least one match.
    const spellings = [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    const [canonical] = spellings;
    if (canonical === undefined) continue;
    help.fields.push(canonical);
    for (const name of spellings) help.names.add(name);
  }
  return help;
}
