import type { ModelEntry, ModelEntryInput } from '../../../shared/catalog-schema.js';

/** How the engine makes room when another model needs the GPUs (catalog `switchMode`; absent = cold). */
export type SwitchMode = NonNullable<ModelEntry['switchMode']>;

/** Where a model comes from: launch settings (a model folder), a legacy start script, or a server elsewhere. */
export type ModelSource = 'modelPath' | 'script' | 'upstream';

/** The Add/Edit form as typed: text for every field, parsed only when sent. */
export interface ModelDraft {
  id: string;
  label: string;
  /** Separated by commas or spaces. */
  aliases: string;
  source: ModelSource;
  /** The modelPath, script path or upstream URL, per `source`. */
  location: string;
  tp: string;
  /** GPU indexes, e.g. "1, 2, 3, 4". */
  gpus: string;
  contextLength: string;
  quantization: string;
  memFractionStatic: string;
  torchCompile: boolean;
  /** Shell-like words: `--chunked-prefill-size 4096 --json-model-override-args '{"a": 1}'`. */
  extraArgs: string;
  /** One KEY=value per line. */
  env: string;
  /** "300" for all the model's GPUs, or "1:300, 2:280" per GPU index. */
  powerLimitW: string;
  /** Never evicted by a request for another model. */
  pinned: boolean;
  /** `warm`: put to sleep (GPU memory released) instead of stopped when another model needs the GPUs; launch models only. */
  switchMode: SwitchMode;
  /** Seconds without requests before it is unloaded; "" = the catalog's idleUnloadS, "0" = never. */
  idleUnloadS: string;
  /** The backend port of its slot; "" = assigned from backend.portRange. */
  port: string;
  /** Requests at once (router); "" = no limit. */
  maxConcurrent: string;
  /** With maxConcurrent: how many more may wait for a free place; "" = the default. */
  maxQueued: string;
}

/** The form's fields (catalog field names, except `source`/`location` which stand for modelPath|script|upstream). */
export type DraftField = Exclude<keyof ModelDraft, 'source'>;

/** Fields that only mean something for some sources (hidden and not sent for the others). */
const FIELDS_FOR: Record<ModelSource, ReadonlySet<DraftField>> = {
  modelPath: new Set([
    'tp',
    'gpus',
    'contextLength',
    'quantization',
    'memFractionStatic',
    'torchCompile',
    'extraArgs',
    'env',
    'powerLimitW',
    'pinned',
    'switchMode',
    'idleUnloadS',
    'port',
    'maxConcurrent',
    'maxQueued',
  ]),
  script: new Set(['tp', 'gpus', 'env', 'powerLimitW', 'pinned', 'idleUnloadS', 'port', 'maxConcurrent', 'maxQueued']),
  // The router's limit applies to every model it answers for, served elsewhere too.
  upstream: new Set(['maxConcurrent', 'maxQueued']),
};
const ALWAYS: ReadonlySet<DraftField> = new Set(['id', 'label', 'aliases', 'location']);

/** True when the field applies to the draft's source. */
export function isFieldShown(source: ModelSource, field: DraftField): boolean {
  return ALWAYS.has(field) || FIELDS_FOR[source].has(field);
}

export function emptyDraft(): ModelDraft {
  return {
    id: '',
    label: '',
    aliases: '',
    source: 'modelPath',
    location: '',
    tp: '1',
    gpus: '',
    contextLength: '',
    quantization: '',
    memFractionStatic: '',
    torchCompile: false,
    extraArgs: '',
    env: '',
    powerLimitW: '',
    pinned: false,
    switchMode: 'cold',
    idleUnloadS: '',
    port: '',
    maxConcurrent: '',
    maxQueued: '',
  };
}

/**
 * A catalog entry as the form shows it; `kept` holds what the form does not edit (sampling), sent
 * back as it was, and whether the entry spelled out its switchMode (so an explicit `cold` stays
 * written and an absent one is not added).
 */
export function draftFromEntry(entry: ModelEntry): { draft: ModelDraft; kept: Partial<ModelEntryInput> } {
  const source: ModelSource = entry.script !== undefined ? 'script' : entry.upstream !== undefined ? 'upstream' : 'modelPath';
  const draft: ModelDraft = {
    id: entry.id,
    label: entry.label ?? '',
    aliases: entry.aliases.join(', '),
    source,
    location: entry[source] ?? '',
    tp: String(entry.tp),
    gpus: entry.gpus?.join(', ') ?? '',
    contextLength: entry.contextLength === undefined ? '' : String(entry.contextLength),
    quantization: entry.quantization ?? '',
    memFractionStatic: entry.memFractionStatic === undefined ? '' : String(entry.memFractionStatic),
    torchCompile: entry.torchCompile,
    extraArgs: joinWords(entry.extraArgs),
    env: Object.entries(entry.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    powerLimitW: formatPowerLimit(entry.powerLimitW),
    // A document from an engine before multi-model slots has no `pinned`.
    pinned: entry.pinned ?? false,
    switchMode: entry.switchMode ?? 'cold',
    idleUnloadS: entry.idleUnloadS === undefined ? '' : String(entry.idleUnloadS),
    port: entry.port === undefined ? '' : String(entry.port),
    maxConcurrent: entry.maxConcurrent === undefined ? '' : String(entry.maxConcurrent),
    maxQueued: entry.maxQueued === undefined ? '' : String(entry.maxQueued),
  };
  return { draft, kept: { sampling: entry.sampling, ...(entry.switchMode === undefined ? {} : { switchMode: entry.switchMode }) } };
}

/** What the form can tell before asking the engine: text that is not a number, a list or KEY=value. */
export type LocalIssues = Partial<Record<DraftField, string>>;

/**
 * The model entry to preview or save, and the fields whose text could not be parsed (left out of
 * the entry; the form blocks saving while any remain). Empty fields are left out. For an add,
 * default values are left out too, so the new YAML is as short as a person would write it; an
 * edit sends them (the engine drops a field the edit leaves out, and writes a default only where
 * the file already had that field).
 */
export function draftToInput(draft: ModelDraft, kept: Partial<ModelEntryInput> = {}, options: { includeDefaults?: boolean } = {}): { model: ModelEntryInput; issues: LocalIssues } {
  const withDefaults = options.includeDefaults === true;
  // switchMode has no schema default: `cold` is written only where the entry already had the field.
  const { switchMode: hadSwitchMode, ...keptRest } = kept;
  const issues: LocalIssues = {};
  const shown = (field: DraftField) => isFieldShown(draft.source, field);
  const model: Record<string, unknown> = { id: draft.id.trim() };
  const text = (value: string) => value.trim();
  if (text(draft.label)) model['label'] = text(draft.label);
  const aliases = draft.aliases.split(/[\s,]+/).filter(Boolean);
  if (aliases.length > 0 || withDefaults) model['aliases'] = aliases;
  if (text(draft.location)) model[draft.source] = text(draft.location);

  const integer = (field: 'tp' | 'contextLength' | 'idleUnloadS' | 'port' | 'maxConcurrent' | 'maxQueued', message: string, isValid: (n: number) => boolean = () => true) => {
    const value = text(draft[field]);
    if (!shown(field) || value === '') return;
    if (/^\d+$/.test(value) && isValid(Number(value))) model[field] = Number(value);
    else issues[field] = message;
  };
  integer('tp', 'must be a whole number (GPUs per model)');
  if (model['tp'] === 1 && !withDefaults) delete model['tp'];
  integer('contextLength', 'must be a whole number of tokens');

  if (shown('gpus') && text(draft.gpus)) {
    const words = draft.gpus.split(/[\s,]+/).filter(Boolean);
    if (words.every((w) => /^\d+$/.test(w))) model['gpus'] = words.map(Number);
    else issues.gpus = 'list GPU indexes, e.g. 1, 2, 3, 4';
  }
  if (shown('quantization') && draft.quantization) model['quantization'] = draft.quantization;
  if (shown('memFractionStatic') && text(draft.memFractionStatic)) {
    const value = Number(text(draft.memFractionStatic));
    if (Number.isFinite(value)) model['memFractionStatic'] = value;
    else issues.memFractionStatic = 'must be a number between 0 and 1, e.g. 0.85';
  }
  if (shown('torchCompile') && (draft.torchCompile || withDefaults)) model['torchCompile'] = draft.torchCompile;
  if (shown('pinned') && (draft.pinned || withDefaults)) model['pinned'] = draft.pinned;
  if (shown('switchMode') && (draft.switchMode === 'warm' || hadSwitchMode !== undefined)) model['switchMode'] = draft.switchMode;
  integer('idleUnloadS', 'a whole number of seconds (0 = never); leave empty for the catalog default');
  integer('port', 'a port number, 1–65535', (n) => n >= 1 && n <= 65535);
  integer('maxConcurrent', 'a whole number of requests, 1 or more; leave empty for no limit', (n) => n >= 1);
  integer('maxQueued', 'a whole number of requests (0 = none wait); leave empty for the default');
  if (shown('extraArgs') && (text(draft.extraArgs) || withDefaults)) {
    const words = splitWords(draft.extraArgs);
    if (words === null) issues.extraArgs = 'a quote is not closed';
    else model['extraArgs'] = words;
  }
  if (shown('env') && (text(draft.env) || withDefaults)) {
    const env = parseEnv(draft.env);
    if (typeof env === 'string') issues.env = env;
    else model['env'] = env;
  }
  if (shown('powerLimitW') && text(draft.powerLimitW)) {
    const limit = parsePowerLimit(draft.powerLimitW);
    if (limit === null) issues.powerLimitW = 'watts for all GPUs (300), or per GPU index (1:300, 2:280)';
    else model['powerLimitW'] = limit;
  }
  return { model: { ...keptRest, ...model } as ModelEntryInput, issues };
}

function parseEnv(text: string): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return `"${line}" is not KEY=value`;
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

function parsePowerLimit(text: string): number | Record<string, number> | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const perGpu: Record<string, number> = {};
  for (const pair of trimmed.split(/[\s,]+/).filter(Boolean)) {
    const match = /^(\d+)[:=](\d+)$/.exec(pair);
    if (!match) return null;
    perGpu[match[1]!] = Number(match[2]);
  }
  return Object.keys(perGpu).length > 0 ? perGpu : null;
}

function formatPowerLimit(limit: ModelEntry['powerLimitW']): string {
  if (limit === undefined) return '';
  if (typeof limit === 'number') return String(limit);
  return Object.entries(limit)
    .map(([gpu, watts]) => `${gpu}:${watts}`)
    .join(', ');
}

/** Splits like a shell does for plain words, '…' and "…" (no variables, no escapes but \" inside "…"); null when a quote is open. */
export function splitWords(text: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && text[i + 1] === '"') word = `${word ?? ''}${text[++i]!}`;
      else word = `${word ?? ''}${ch}`;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) return null;
  if (word !== null) words.push(word);
  return words;
}

/** The inverse of splitWords: words with spaces or quotes are quoted. */
export function joinWords(words: string[]): string {
  return words.map((w) => (w === '' || /[\s'"\\]/.test(w) ? (w.includes("'") ? `"${w.replace(/"/g, '\\"')}"` : `'${w}'`) : w)).join(' ');
}

/** A draft's keys: the form's fields. */
const EMPTY = emptyDraft();

/** The form field an issue key belongs to: "tp", "gpus[2]", "models[3].env.FOO" → tp, gpus, env; modelPath|script|upstream → location. */
export function draftFieldOf(key: string): DraftField | null {
  const top = key.replace(/^models\[\d+\]\.?/, '').split(/[.[]/)[0] ?? '';
  if (top === 'modelPath' || top === 'script' || top === 'upstream') return 'location';
  // Every draft field is named as its catalog field, but `location`, which stands for the three above.
  return top !== 'location' && top !== 'source' && Object.hasOwn(EMPTY, top) ? (top as DraftField) : null;
}
