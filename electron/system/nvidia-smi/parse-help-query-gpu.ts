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
    const spellings = [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    help.fields.push(spellings[0]);
    for (const name of spellings) help.names.add(name);
  }
  return help;
}
