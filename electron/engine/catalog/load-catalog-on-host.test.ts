import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuTopologySnapshot } from '../../../shared/gpu-types.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';
import { loadCatalogOnHost } from './load-catalog-on-host.js';

const dirs: string[] = [];
afterEach(() => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

async function catalogFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-on-host-'));
  dirs.push(dir);
  const path = join(dir, 'switchboard.yaml');
  await writeFile(path, text);
  return path;
}

const snapshot = (topology: GpuTopologySnapshot['topology']): GpuTopologySnapshot => ({ atMs: 1, topology, nvlink: null, nvlinkSets: [], errors: [] });
const YAML = 'gpu: { nvidiaSmiPath: /opt/nvidia-smi }\nmodels:\n  - id: a\n    modelPath: Org/model\n    tp: 2\n    gpus: [1, 2]\n';

describe('loadCatalogOnHost', () => {
  it("reads the topology with the catalog's nvidia-smi and adds the placement warning with its line", async () => {
    const seen: (string | undefined)[] = [];
    const topology = parseTopoMatrix(readNvidiaSmiFixture('topo-m-rtxa6000x3-nv4-node-ansi.txt'));
    const { loaded, topology: read } = await loadCatalogOnHost(await catalogFile(YAML), async (path) => (seen.push(path), snapshot(topology)));
    expect(seen).toEqual(['/opt/nvidia-smi']);
    expect(read?.topology).toBe(topology);
    expect(loaded.ok).toBe(true);
    expect(loaded.issues).toMatchObject([{ severity: 'warning', field: 'models[0].gpus', line: 6 }]);
  });

  it('without a topology (no GPU) the catalog loads as before', async () => {
    const { loaded, topology } = await loadCatalogOnHost(await catalogFile(YAML), async () => snapshot(null));
    expect(topology).toBeNull();
    expect(loaded).toMatchObject({ ok: true, issues: [] });
  });

  it('does not run nvidia-smi for a catalog that does not load', async () => {
    let reads = 0;
    const { loaded } = await loadCatalogOnHost(await catalogFile('models: [ {'), async () => (reads++, snapshot(null)));
    expect(loaded.ok).toBe(false);
    expect(reads).toBe(0);
  });
});
