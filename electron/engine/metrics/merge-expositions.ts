// Merges several Prometheus text expositions (each running SGLang server's /metrics) into one, with a
// label added to every sample (`model="<catalog id>"`). Prometheus wants each metric family's
// samples together under one HELP and one TYPE line, so samples are grouped by family across all
// sources; families keep the order they were first seen in.

/** One source: the label value to add and the exposition text it served. */
export interface ExpositionSource {
  labelValue: string;
  text: string;
}

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

const SAMPLE_SUFFIXES = ['_bucket', '_sum', '_count', '_created', '_total', '_info', '_gsum', '_gcount'];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * The merged exposition: `label="<labelValue>"` added to each sample of each source. A sample that
 * already has that label keeps its value as `exported_<label>` (as Prometheus does on a conflict).
 * Lines that are not HELP, TYPE, comments or valid samples are dropped.
 */
export function mergeExpositions(sources: readonly ExpositionSource[], label: string): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (!family) {
      family = { samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const source of sources) {
    // The family the last HELP/TYPE line named: its _bucket/_sum/_count samples belong to it.
    let current: string | undefined;
    for (const line of source.text.split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      if (trimmed.startsWith('#')) {
        const meta = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(trimmed);
        if (!meta) continue;
        const [, kind, name, rest = ''] = meta as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
        current = name;
        const family = familyOf(name);
        if (kind === 'HELP') family.help ??= rest;
        else family.type ??= rest.trim();
        continue;
      }
      const sample = relabelSample(trimmed, label, source.labelValue);
      if (sample === null) continue;
      const belongs = current !== undefined && (sample.name === current || SAMPLE_SUFFIXES.some((s) => sample.name === current + s));
      familyOf(belongs ? current! : sample.name).samples.push(sample.line);
    }
  }
  const out: string[] = [];
  for (const [name, family] of families) {
    if (family.samples.length === 0) continue;
    if (family.help !== undefined) out.push(`# HELP ${name} ${family.help}`);
    if (family.type !== undefined) out.push(`# TYPE ${name} ${family.type}`);
    out.push(...family.samples);
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** `name{labels} value [timestamp]` with `label="value"` added first among the labels, or null when the line is no valid sample. */
export function relabelSample(line: string, label: string, value: string): { name: string; line: string } | null {
  const nameMatch = METRIC_NAME.exec(line);
  if (!nameMatch) return null;
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  let labels: string[] = [];
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return null;
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  if (!/^\s+\S/.test(rest)) return null;
  const renamed = labels.map((l) => (l.startsWith(`${label}=`) ? `exported_${l}` : l));
  const added = `${label}="${escapeLabelValue(value)}"`;
  return { name, line: `${name}{${[added, ...renamed].join(',')}} ${rest.trim()}` };
}

/** The `name="value"` pairs of a `{…}` block as written (escapes kept) and the block's length, or null when malformed. */
function parseLabels(text: string): { labels: string[]; length: number } | null {
  const labels: string[] = [];
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!name) return null;
    let j = i + name[0].length;
    while (text[j] === ' ') j++;
    if (text[j] !== '=') return null;
    j++;
    while (text[j] === ' ') j++;
    if (text[j] !== '"') return null;
    const start = j;
    j++;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) return null;
    labels.push(`${name[0]}=${text.slice(start, j + 1)}`);
    i = j + 1;
  }
}

/** A label value as the text format writes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
