import type { z } from 'zod';
import {
  backendSettingsSchema,
  catalogSchema,
  gpuSettingsSchema,
  metricsSettingsSchema,
  modelEntrySchema,
  routerSettingsSchema,
  sglangSettingsSchema,
  type CatalogIssue,
} from '../../../shared/catalog-schema.js';
import { closestName } from './closest-name.js';
import { formatFieldPath, type PathSegment } from './format-field-path.js';
import type { YamlLocator } from './yaml-locator.js';

type ZodIssue = z.core.$ZodIssue;

/** Turns zod's issues into catalog issues that name the YAML line, column and dotted field. */
export function zodIssuesToCatalog(issues: readonly ZodIssue[], data: unknown, locator: YamlLocator): CatalogIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => unknownKeyIssue([...path, key], locator));
    }
    const atKey = issue.code === 'invalid_key';
    const pos = locator.locate(path, atKey);
    const message =
      path.at(-1) === 'powerLimitW' && issue.code === 'invalid_union'
        ? `must be watts for all the model's GPUs (300) or watts per GPU index ({ 0: 300, 1: 280 }); got ${describe(rawAt(data, path))}`
        : messageFor(issue, rawAt(data, path), locator.sourceOf(path));
    return [{ severity: 'error' as const, field: formatFieldPath(path), ...pos, message }];
  });
}

function unknownKeyIssue(path: PathSegment[], locator: YamlLocator): CatalogIssue {
  const key = String(path[path.length - 1]);
  const guess = closestName(key, knownKeysAt(path.slice(0, -1)));
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  return {
    severity: 'error',
    field: formatFieldPath(path),
    ...locator.locate(path, true),
    message: `unknown field "${key}"${hint}`,
  };
}

function knownKeysAt(path: PathSegment[]): string[] {
  const schemas: Record<string, { shape: object }> = {
    '': catalogSchema,
    router: routerSettingsSchema,
    backend: backendSettingsSchema,
    sglang: sglangSettingsSchema,
    gpu: gpuSettingsSchema,
    metrics: metricsSettingsSchema,
  };
  const schema = path.length === 2 && path[0] === 'models' ? modelEntrySchema : schemas[path.join('.')];
  return schema ? Object.keys(schema.shape) : [];
}

function messageFor(issue: ZodIssue, actual: unknown, source: string | undefined): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage(issue.expected, actual, source);
    case 'too_big':
      return boundMessage(issue.origin, issue.inclusive ? '≤' : '<', issue.maximum, actual, 'most');
    case 'too_small':
      return boundMessage(issue.origin, issue.inclusive ? '≥' : '>', issue.minimum, actual, 'least');
    case 'invalid_value': {
      const values = issue.values.map(String);
      const guess = typeof actual === 'string' ? closestName(actual, values) : undefined;
      const hint = guess ? ` (did you mean "${guess}"?)` : '';
      return `must be one of ${values.join(', ')}; got ${describe(actual)}${hint}`;
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? issue.message;
    case 'invalid_union':
      return `must be a number, string, boolean or a list of numbers and strings; got ${describe(actual)}`;
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `has an invalid format: ${describe(actual)}` : issue.message;
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a map (key: value)',
  record: 'a map (key: value)',
  array: 'a list',
  tuple: 'a list',
};

function typeMessage(expected: string, actual: unknown, source: string | undefined): string {
  if (actual === undefined) return 'is required';
  const want = TYPE_NAMES[expected] ?? expected;
  if (expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) {
    const written = source ?? String(actual);
    return `must be a string, got ${typeof actual} ${written}; quote it: "${written}"`;
  }
  const yaml11 = expected === 'boolean' && typeof actual === 'string' && /^(yes|no|on|off|y|n)$/i.test(actual);
  return `must be ${want}, got ${describe(actual)}${yaml11 ? ' (YAML 1.2 reads yes/no/on/off as text)' : ''}`;
}

function boundMessage(origin: string, op: string, bound: number | bigint, actual: unknown, word: string): string {
  const got = `, got ${typeof actual === 'number' ? actual : describe(actual)}`;
  if (origin === 'array' || origin === 'set') return `must have at ${word} ${bound} item${bound === 1 ? '' : 's'}`;
  if (origin === 'string') {
    return bound === 1 && word === 'least' ? 'must not be empty' : `must be at ${word} ${bound} characters long`;
  }
  return `must be ${op} ${bound}${got}`;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function rawAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[seg as string];
  }
  return value;
}
