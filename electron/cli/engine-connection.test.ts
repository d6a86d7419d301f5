import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from './engine-connection.js';

let home: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'switchboard-connection-'));
  env = { XDG_CONFIG_HOME: home };
});

async function config(text: string): Promise<string> {
  const path = join(await mkdtemp(join(home, 'c-')), 'switchboard.yaml');
  await writeFile(path, text);
  return path;
}

describe('resolveConnection', () => {
  it('uses 127.0.0.1:8002 when there is no config', async () => {
    expect(await resolveConnection({}, env)).toEqual({ url: 'http://127.0.0.1:8002' });
  });

  it.each([
    ['0.0.0.0', 'http://127.0.0.1:9000'],
    ['::', 'http://[::1]:9000'],
    ['fd00::5', 'http://[fd00::5]:9000'],
    ['gpu-host.lan', 'http://gpu-host.lan:9000'],
  ])('reaches a router bound to %s at %s', async (host, url) => {
    const path = await config(`router:\n  host: "${host}"\n  port: 9000\n`);
    expect((await resolveConnection({ config: path }, env)).url).toBe(url);
  });

  it('prefers --api-key, then SWITCHBOARD_API_KEY, then the config key', async () => {
    const path = await config('router:\n  apiKeys: [from-config]\n');
    expect((await resolveConnection({ config: path }, env)).apiKey).toBe('from-config');
    expect((await resolveConnection({ config: path }, { ...env, SWITCHBOARD_API_KEY: 'from-env' })).apiKey).toBe('from-env');
    expect((await resolveConnection({ config: path, 'api-key': 'from-flag' }, { ...env, SWITCHBOARD_API_KEY: 'from-env' })).apiKey).toBe('from-flag');
  });

  it('keeps --url as given, without a trailing slash', async () => {
    expect(await resolveConnection({ url: 'http://h:1/', 'api-key': 'k' }, env)).toEqual({ url: 'http://h:1', apiKey: 'k' });
  });

  it('explains a config that is not YAML', async () => {
    const path = await config('router: [unclosed\n');
    await expect(resolveConnection({ config: path }, env)).rejects.toThrow(/cannot parse the config [\s\S]* \(use --url to skip it\)/);
  });
});
