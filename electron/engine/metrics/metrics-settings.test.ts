import { describe, expect, it } from 'vitest';
import { parseCatalogText } from '../catalog/load-catalog.js';

describe('catalog metrics settings', () => {
  it('keeps /metrics admin-only by default', () => {
    const result = parseCatalogText('models: []\n', { checkFiles: false });
    expect(result.ok && result.catalog.metrics).toEqual({ public: false, keys: [] });
  });

  it('reads metrics.public', () => {
    const result = parseCatalogText('metrics: { public: true }\n', { checkFiles: false });
    expect(result.ok && result.catalog.metrics.public).toBe(true);
  });

  it('names a misspelled key and a wrong type', () => {
    const typo = parseCatalogText('metrics: { publik: true }\n', { checkFiles: false });
    expect(typo.ok).toBe(false);
    expect(typo.issues.map((i) => [i.field, i.message])).toEqual([['metrics.publik', 'unknown field "publik" (did you mean "public"?)']]);
    const wrong = parseCatalogText('metrics: { public: "yes" }\n', { checkFiles: false });
    expect(wrong.ok).toBe(false);
    expect(wrong.issues[0]?.field).toBe('metrics.public');
  });
});
