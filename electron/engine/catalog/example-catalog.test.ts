import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCatalogText } from './load-catalog.js';

const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');

describe('the catalogs users copy from the docs', () => {
  it('resources/switchboard.example.yaml is a valid catalog (paths aside)', () => {
    const result = parseCatalogText(read('../../../resources/switchboard.example.yaml'), { checkFiles: false });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.ok && result.catalog.models.map((m) => m.id)).toEqual(['mistral-large-2411-awq', 'kat-dev-awq-8bit', 'qwen2.5-1.5b-embed']);
  });

  it("the README's catalog block is the same valid catalog", () => {
    const block = /## The catalog[\s\S]*?```yaml\n([\s\S]*?)```/.exec(read('../../../README.md'))?.[1];
    expect(block).toBeDefined();
    const result = parseCatalogText(block!, { checkFiles: false });
    expect(result.ok).toBe(true);
    expect(result.ok && result.catalog.backend.drainTimeoutS).toBe(300);
  });
});
