import { isCollection, isMap, isSeq, parseDocument, type Document, type Node, type YAMLSeq } from 'yaml';
import { backendSettingsSchema, gpuSettingsSchema, modelEntrySchema, routerSettingsSchema, type CatalogIssue, type ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { CatalogChange, SettingsPatch } from '../../../shared/switchboard-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { mergeImported } from './merge-imported.js';
import { styleCatalogNodes, YAML_OPTIONS } from './serialize-catalog.js';
import { applyTextEdits, editMap, removeSeqItem, rootMap, YamlSource, type MapChange, type TextEdit } from './yaml-text-edits.js';

/** A catalog change turned into new file text, not validated yet. */
export interface CatalogDraft {
  text: string;
  /** What the change edits, for per-field issues: a model (its index in the new text) or the settings. */
  focus?: { kind: 'model'; index: number } | { kind: 'settings' };
  /** The model an edit or remove touches, as on disk: its entry before and (edit) after. */
  target?: { id: string; index: number; before: unknown; after?: Record<string, unknown> };
  /** Problems found before the text could be made (add: a name already taken). */
  issues: CatalogIssue[];
}

/** Values a model entry gets when a field is left out: an edit that sends them does not write them. */
const MODEL_DEFAULTS: Record<string, unknown> = (({ id: _id, modelPath: _path, ...rest }) => rest)(modelEntrySchema.parse({ id: 'x', modelPath: '/x' }));
const SETTINGS_DEFAULTS: Record<keyof SettingsPatch, Record<string, unknown>> = {
  router: routerSettingsSchema.parse({}),
  backend: backendSettingsSchema.parse({}),
  gpu: gpuSettingsSchema.parse({}),
};

/**
 * The catalog text after `change`. Only the edited values change: the rest of the file (comments,
 * quoting, spacing) is kept byte for byte; the result is checked to hold exactly the intended data.
 * Throws EngineError: `unknown_model` for an id not in the file, `bad_request` for a file that is not
 * a YAML mapping.
 */
export function draftCatalogChange(text: string, change: CatalogChange): CatalogDraft {
  switch (change.op) {
    case 'add':
      return draftAdd(text, change.model);
    case 'edit':
      return draftEdit(text, change.id, change.model);
    case 'remove':
      return draftRemove(text, change.id);
    case 'settings':
      return draftSettings(text, change.settings);
  }
}

/** Appends entries (start-script import); throws bad_request when the text cannot take them. */
export function draftMerge(text: string, entries: readonly ModelEntryInput[]): ReturnType<typeof mergeImported> {
  try {
    return mergeImported(text, entries);
  } catch (err) {
    throw new EngineError('bad_request', err instanceof Error ? err.message : String(err));
  }
}

function draftAdd(text: string, model: ModelEntryInput): CatalogDraft {
  const src = new YamlSource(text);
  rootMap(src);
  const names = modelsOf(src).data.flatMap(namesOf);
  const index = modelsOf(src).data.length;
  const focus = { kind: 'model' as const, index };
  const shape = nameShapeIssues(model, index);
  if (shape.length > 0) return { text, focus, issues: shape };
  const taken = [model.id, ...(model.aliases ?? [])].map((name, k) => ({ name, k })).filter(({ name }) => names.includes(name));
  if (taken.length > 0) {
    const issues = taken.map(({ name, k }): CatalogIssue => ({
      severity: 'error',
      field: k === 0 ? `models[${index}].id` : `models[${index}].aliases[${k - 1}]`,
      message: `"${name}" is already used in the catalog`,
    }));
    return { text, focus, issues };
  }
  return { text: draftMerge(text, [model]).text, focus, issues: [] };
}

function draftEdit(text: string, id: string, model: ModelEntryInput): CatalogDraft {
  const src = new YamlSource(text);
  const { seq, data, index } = findModel(src, id);
  const before = data[index];
  const old = isRecord(before) ? before : {};
  const changes = modelChanges(old, model as Record<string, unknown>);
  const after = applyChanges(old, changes);
  const item = seq.items[index] as Node;
  const next = editVerified(
    src,
    withModels(
      src,
      data.map((m, i) => (i === index ? after : m)),
    ),
    () => (isMap(item) ? editMap(src, item, changes) : undefined),
    (doc) => {
      const node = doc.getIn(['models', index], true);
      if (!isMap(node)) return doc.setIn(['models', index], styledNode(doc, after));
      for (const [key, value] of changes) {
        if (value === undefined) node.delete(key);
        else node.set(key, styledNode(doc, value));
      }
    },
  );
  return { text: next, focus: { kind: 'model', index }, target: { id, index, before, after }, issues: [] };
}

function draftRemove(text: string, id: string): CatalogDraft {
  const src = new YamlSource(text);
  const { seq, data, index } = findModel(src, id);
  const root = rootMap(src)!;
  const splice = (): TextEdit[] | undefined => {
    if (seq.items.length === 1) return editMap(src, root, [['models', []]]);
    const edit = removeSeqItem(src, seq, index);
    return edit && [edit];
  };
  const next = editVerified(
    src,
    withModels(
      src,
      data.filter((_, i) => i !== index),
    ),
    splice,
    (doc) => {
      (doc.get('models', true) as YAMLSeq).items.splice(index, 1);
    },
  );
  return { text: next, target: { id, index, before: data[index] }, issues: [] };
}

function draftSettings(text: string, patch: SettingsPatch): CatalogDraft {
  const src = new YamlSource(text);
  const root = rootMap(src);
  const data = dataOf(src);
  const sections = (Object.keys(SETTINGS_DEFAULTS) as (keyof SettingsPatch)[])
    .map((name) => [name, sectionChanges(name, data[name], patch[name])] as const)
    .filter(([, changes]) => changes.length > 0);
  if (sections.length === 0) return { text, focus: { kind: 'settings' }, issues: [] };
  const expected = { ...data };
  for (const [name, changes] of sections) expected[name] = applyChanges(isRecord(data[name]) ? data[name] : {}, changes);
  const splice = (): TextEdit[] | undefined => {
    if (!root) return undefined;
    const edits: TextEdit[] = [];
    const missing: MapChange[] = [];
    for (const [name, changes] of sections) {
      const node = root.get(name, true);
      if (node === undefined) missing.push([name, Object.fromEntries(changes)]);
      else if (isMap(node)) edits.push(...(editMap(src, node, changes) ?? [NO_EDIT]));
      else return undefined;
    }
    if (missing.length > 0) edits.push(...(editMap(src, root, missing) ?? [NO_EDIT]));
    return edits.includes(NO_EDIT) ? undefined : edits;
  };
  const next = editVerified(src, expected, splice, (doc) => {
    for (const [name, changes] of sections) for (const [key, value] of changes) doc.setIn([name, key], styledNode(doc, value));
  });
  return { text: next, focus: { kind: 'settings' }, issues: [] };
}

const NO_EDIT: TextEdit = { start: -1, end: -1, text: '' };

function sectionChanges(name: keyof SettingsPatch, current: unknown, patch: Record<string, unknown> | undefined): MapChange[] {
  const now = { ...SETTINGS_DEFAULTS[name], ...(isRecord(current) ? current : {}) };
  return Object.entries(patch ?? {}).filter(([key, value]) => value !== undefined && !sameValue(now[key], value));
}

/** Keys to set or delete so that `old` becomes `next`; a default value for a field the file leaves out is not written. */
function modelChanges(old: Record<string, unknown>, next: Record<string, unknown>): MapChange[] {
  const changes: MapChange[] = [];
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if (!(key in old) && key in MODEL_DEFAULTS && sameValue(MODEL_DEFAULTS[key], value)) continue;
    if (!sameValue(old[key], value)) changes.push([key, value]);
  }
  for (const key of Object.keys(old)) if (next[key] === undefined) changes.push([key, undefined]);
  return changes;
}

function applyChanges(old: Record<string, unknown>, changes: readonly MapChange[]): Record<string, unknown> {
  const out = { ...old };
  for (const [key, value] of changes) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * The spliced text when it holds exactly `expected`; otherwise the document re-rendered through the
 * yaml Document API (comments kept, spacing normalized). Throws when neither gets there.
 */
function editVerified(src: YamlSource, expected: unknown, splice: () => TextEdit[] | undefined, mutate: (doc: Document) => void): string {
  const want = canonical(expected);
  try {
    const edits = splice();
    if (edits) {
      const text = applyTextEdits(src.text, edits);
      if (holds(text, want)) return text;
    }
  } catch {
    // An edit the layout did not allow: the re-render below handles it.
  }
  const doc = parseDocument(src.text);
  mutate(doc);
  const text = doc.toString({ ...YAML_OPTIONS, flowCollectionPadding: src.padded });
  if (holds(text, want)) return text;
  throw new EngineError('internal', 'could not write this change into the catalog file without touching other entries; edit the file by hand');
}

function holds(text: string, want: string): boolean {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && canonical(doc.toJS() ?? {}) === want;
}

function styledNode(doc: Document, value: unknown): Node {
  const node = doc.createNode(value) as Node;
  if (isCollection(node)) styleCatalogNodes(node);
  return node;
}

function modelsOf(src: YamlSource): { seq: YAMLSeq | undefined; data: unknown[] } {
  const node = rootMap(src)?.get('models', true);
  const data = dataOf(src).models;
  return { seq: isSeq(node) ? node : undefined, data: Array.isArray(data) ? data : [] };
}

function findModel(src: YamlSource, id: string): { seq: YAMLSeq; data: unknown[]; index: number } {
  const { seq, data } = modelsOf(src);
  const index = data.findIndex((m) => isRecord(m) && m.id === id);
  if (!seq || index === -1) {
    const known = data.flatMap((m) => (isRecord(m) && typeof m.id === 'string' ? [m.id] : []));
    throw new EngineError('unknown_model', `unknown model "${id}"; known: ${known.length > 0 ? known.join(', ') : '(the catalog has no models)'}`, { known });
  }
  return { seq, data, index };
}

function withModels(src: YamlSource, models: unknown[]): Record<string, unknown> {
  return { ...dataOf(src), models };
}

function dataOf(src: YamlSource): Record<string, unknown> {
  const data = src.doc.toJS() as unknown;
  return isRecord(data) ? data : {};
}

function namesOf(model: unknown): string[] {
  if (!isRecord(model)) return [];
  const aliases = Array.isArray(model.aliases) ? model.aliases.filter((a): a is string => typeof a === 'string') : [];
  return [...(typeof model.id === 'string' ? [model.id] : []), ...aliases];
}

/** id and aliases must have the right types before the entry can be merged (the rest is the validator's). */
function nameShapeIssues(model: ModelEntryInput, index: number): CatalogIssue[] {
  const issue = (field: string, message: string): CatalogIssue => ({ severity: 'error', field: `models[${index}].${field}`, message });
  const issues: CatalogIssue[] = [];
  if (typeof model.id !== 'string' || model.id === '') issues.push(issue('id', 'required: the name clients send as "model"'));
  if (model.aliases !== undefined && !(Array.isArray(model.aliases) && model.aliases.every((a) => typeof a === 'string'))) {
    issues.push(issue('aliases', 'must be a list of names'));
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, for comparing data regardless of key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}
