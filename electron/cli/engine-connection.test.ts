import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from './engine-connection.js';

let home: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'switchboard-connection-'));
  env = { XDG_CONFIG_HOME: home, XDG_STATE_HOME: join(home, 'state') };
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

  it('prefers --admin-key, then SWITCHBOARD_ADMIN_KEY, then the config admin key, then the token file', async () => {
    const stateDir = join(home, 'state', 'sglang-switchboard');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'admin-token'), 'from-token-file-0123456789abcdefghijklmnop\n', { mode: 0o600 });
    const bare = await config('router:\n  apiKeys: [inference-only]\n');
    expect((await resolveConnection({ config: bare }, env)).adminKey).toBe('from-token-file-0123456789abcdefghijklmnop');
    const path = await config('router:\n  apiKeys: [inference-only]\n  adminKeys: [from-config-0123456789]\n');
    expect((await resolveConnection({ config: path }, env)).adminKey).toBe('from-config-0123456789');
    expect((await resolveConnection({ config: path }, { ...env, SWITCHBOARD_ADMIN_KEY: 'from-env' })).adminKey).toBe('from-env');
    expect((await resolveConnection({ config: path, 'admin-key': 'from-flag' }, { ...env, SWITCHBOARD_ADMIN_KEY: 'from-env' })).adminKey).toBe('from-flag');
    const otherState = join(home, 'other-state');
    expect((await resolveConnection({ config: bare, 'state-dir': otherState }, env)).adminKey).toBeUndefined();
  });

  it('keeps --url as given, without a trailing slash', async () => {
    expect(await resolveConnection({ url: 'http://h:1/', 'admin-key': 'k' }, env)).toEqual({ url: 'http://h:1', adminKey: 'k', adminKeyIsExplicit: true });
  });

  it('explains a config that is not YAML', async () => {
    const path = await config('router: [unclosed\n');
    await expect(resolveConnection({ config: path }, env)).rejects.toThrow(/cannot parse the config [\s\S]* \(use --url to skip it\)/);
  });
});
