import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { catalogJsonSchema } from './catalog-json-schema.js';
import { parseCatalogText } from './load-catalog.js';
import { CATALOG_SCHEMA_PATH, writeDemoHost } from './write-demo-host.js';

// The catalog's JSON Schema as the build ships it (out/node/switchboard.schema.json, written by
// scripts/build-node.mjs; vitest's global setup builds it), checked with a JSON Schema validator
// (ajv, draft 2020-12) against every example catalog, next to the engine's own zod check.

const read = (path: string) => readFile(new URL(path, import.meta.url), 'utf8');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function validator() {
  const schema = JSON.parse(await readFile(CATALOG_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  // ajv-formats checks `format` (the upstream's uri) as editors do, instead of ajv ignoring it with a warning.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('the catalog JSON Schema', () => {
  it('is the one generated from the zod schema (not a hand copy)', async () => {
    expect(JSON.parse(await readFile(CATALOG_SCHEMA_PATH, 'utf8'))).toEqual(catalogJsonSchema());
  });

  it.each(['../../../resources/switchboard.example.yaml', '../../../test/fixtures/catalogs/valid-full.yaml', '../../../test/fixtures/catalogs/minimal.yaml'])(
    'accepts %s, as the engine does',
    async (path) => {
      const text = await read(path);
      const validate = await validator();
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
      expect(parseCatalogText(text, { checkFiles: false }).ok).toBe(true);
    },
  );

  it('accepts the demo catalog, whose first line points editors at the schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'schema-demo-'));
    dirs.push(dir);
    const text = await readFile(await writeDemoHost({ dir, routerPort: 8002, backendPort: 8001, timeScale: 1 }), 'utf8');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${pathToFileURL(CATALOG_SCHEMA_PATH).href}`);
    const validate = await validator();
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['invalid-unknown-key.yaml', 'additionalProperties'],
    ['invalid-wrong-type.yaml', 'type'],
  ])('refuses %s like the engine (%s)', async (file, keyword) => {
    const text = await read(`../../../test/fixtures/catalogs/${file}`);
    const validate = await validator();
    expect(validate(parse(text))).toBe(false);
    expect(validate.errors?.map((e) => e.keyword)).toContain(keyword);
    expect(parseCatalogText(text, { checkFiles: false }).ok).toBe(false);
  });

  it('refuses an upstream that is not a URL like the engine (format)', async () => {
    const text = 'models:\n  - id: gateway\n    upstream: 10.0.0.7 port 30000\n';
    const validate = await validator();
    expect(validate(parse(text))).toBe(false);
    expect(validate.errors?.map((e) => [e.keyword, e.instancePath])).toContainEqual(['format', '/models/0/upstream']);
    expect(parseCatalogText(text, { checkFiles: false }).ok).toBe(false);
  });
});
