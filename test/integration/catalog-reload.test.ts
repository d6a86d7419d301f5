// Editing the catalog file by hand while `switchboard serve` runs: a valid edit takes effect without a
// restart (a loaded model keeps its launch settings until it unloads), an invalid one is reported and
// ignored, a burst of writes ends with the last one, and SIGHUP rereads the file.

import type { ChildProcess } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CatalogInput } from '../../shared/catalog-schema.js';
import { stopGracefully } from './support/stop-gracefully.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { createSimHost, waitFor, type SimHost } from './support/sim-host.js';

let host: SimHost | undefined;
const started: ChildProcess[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) await stopGracefully(child);
  await host?.cleanup();
  host = undefined;
});

/** `switchboard serve` on the host's catalog, stopped gracefully after the test. */
async function serve(configPath: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const s = await startServe(host!, configPath, extraArgs);
  started.push(s.child);
  return s;
}

/** The router's model list, as an OpenAI client sees it. */
async function listedModels(s: ServeProcess): Promise<string[]> {
  const res = await request(`${s.url}/v1/models`);
  const body = (await res.body.json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id).sort();
}

/** The host's catalog with only these models (each with `more` merged in), as YAML someone would write. */
function catalogYaml(ids: string[], more: Record<string, Record<string, unknown>> = {}): string {
  const input = host!.catalogInput;
  const models = ids.map((id) => ({ ...input.models!.find((m) => m.id === id)!, ...more[id] }));
  return `# edited by hand\n${stringify({ ...input, models } satisfies CatalogInput)}`;
}

const reloads = (s: ServeProcess) =>
  s
    .output()
    .split('\n')
    .filter((l) => l.includes('catalog reloaded from'));

describe('serve applies hand edits of its catalog file', () => {
  it('a model added and a loaded one changed take effect without a restart; the loaded one keeps its launch settings until it unloads', async () => {
    host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
    const path = join(host.dir, 'switchboard.yaml');
    await writeFile(path, catalogYaml(['alpha']), { mode: 0o600 });
    const s = await serve(path);
    expect((await s.post('/api/models/alpha/switch?wait=1')).status).toBe(200);
    expect(await host.launches()).toHaveLength(1);

    // Saved in place, as most editors do.
    await writeFile(path, catalogYaml(['alpha', 'beta'], { alpha: { contextLength: 1024 } }));
    await waitFor(async () => (await listedModels(s)).includes('beta'), 'beta in /v1/models');
    expect((await s.state()).models.map((m) => m.id)).toEqual(['alpha', 'beta']);
    await waitFor(() => reloads(s).length === 1, 'the reload line');
    expect(reloads(s)[0]).toContain(
      `catalog reloaded from ${path}: models added beta; changed alpha; alpha is loaded and keeps running as it was launched: its new contextLength apply when it unloads`,
    );

    // Still the server launched before the edit, without --context-length.
    const state = await s.state();
    expect(state.models.find((m) => m.id === 'alpha')!.status).toBe('loaded');
    const launches = await host.launches();
    expect(launches).toHaveLength(1);
    expect(launches[0]!.argv).not.toContain('--context-length');

    // Unloaded and loaded again: the new setting.
    expect((await s.post('/api/models/alpha/unload')).status).toBe(200);
    expect((await s.post('/api/models/alpha/switch?wait=1')).status).toBe(200);
    const relaunch = (await host.launches()).at(-1)!;
    expect(relaunch.argv.join(' ')).toContain('--context-length 1024');

    // No handle left behind: SIGTERM ends it cleanly.
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  });

  it('an invalid edit is reported and ignored; the next valid one (written through a rename) applies', async () => {
    host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
    const path = join(host.dir, 'switchboard.yaml');
    await writeFile(path, catalogYaml(['alpha']), { mode: 0o600 });
    const s = await serve(path);

    await writeFile(path, catalogYaml(['alpha', 'beta'], { beta: { tp: 0 } }));
    await waitFor(() => s.output().includes('was not reloaded'), 'the rejection in the log');
    expect(s.output()).toMatch(new RegExp(`catalog ${path} was not reloaded \\(the running catalog is unchanged\\):\\n${path}:\\d+:\\d+ models\\[1\\]\\.tp: must be ≥ 1, got 0`));
    expect(await listedModels(s)).toEqual(['alpha']);
    const refused = await s.state();
    expect(refused.models.map((m) => m.id)).toEqual(['alpha']);
    // The UI's notice banner and `switchboard status` show it; the engine log has it too.
    expect(refused.notices).toContainEqual(expect.objectContaining({ id: 'catalog:reload', level: 'error', message: expect.stringContaining('models[1].tp') }));

    const temp = join(host.dir, '.switchboard.yaml.tmp');
    await writeFile(temp, catalogYaml(['alpha', 'beta']), { mode: 0o600 });
    await rename(temp, path);
    await waitFor(async () => (await listedModels(s)).includes('beta'), 'beta after the valid write');
    expect(reloads(s)).toHaveLength(1);
    expect((await s.state()).notices.filter((n) => n.id === 'catalog:reload')).toEqual([]);
  });

  it('a burst of writes ends with the last one applied (and only a few reloads)', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `m${i}`);
    host = await createSimHost(ids.map((id) => ({ id })));
    const path = join(host.dir, 'switchboard.yaml');
    await writeFile(path, catalogYaml(['m0']), { mode: 0o600 });
    const s = await serve(path);

    for (let n = 2; n <= ids.length; n++) await writeFile(path, catalogYaml(ids.slice(0, n)));
    await waitFor(async () => (await listedModels(s)).length === ids.length, 'every model listed');
    expect(await listedModels(s)).toEqual(ids);
    expect(reloads(s).length).toBeGreaterThanOrEqual(1);
    expect(reloads(s).length).toBeLessThanOrEqual(3);
    expect(reloads(s).at(-1)).toContain('models added');
  });
});

describe('SIGHUP', () => {
  it('rereads the catalog (serve --no-watch: only the signal can have done it) and keeps serving', async () => {
    host = await createSimHost([{ id: 'alpha' }, { id: 'beta' }]);
    const path = join(host.dir, 'switchboard.yaml');
    await writeFile(path, catalogYaml(['alpha']), { mode: 0o600 });
    const s = await serve(path, ['--no-watch']);

    await writeFile(path, catalogYaml(['alpha', 'beta']));
    process.kill(s.child.pid!, 'SIGHUP');
    await waitFor(async () => (await listedModels(s)).includes('beta'), 'beta after SIGHUP');
    expect(s.output()).toContain(`catalog reloaded from ${path} on SIGHUP: models added beta`);

    // Once more with nothing changed: said so; still serving (SIGHUP no longer stops serve).
    process.kill(s.child.pid!, 'SIGHUP');
    await waitFor(() => s.output().includes('reread on SIGHUP: unchanged'), 'the unchanged line');
    expect(s.child.exitCode).toBeNull();
    const res = await request(`${s.url}/health`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
  });
});
