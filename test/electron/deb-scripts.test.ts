import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The deb's after-install.sh / after-remove.sh: first statically (electron-builder's macros, bash
// syntax), then run as dpkg runs them, as root in a throwaway mount namespace (see
// deb-scripts-sandbox.sh). Needs root and mount namespaces; elsewhere that part is skipped.

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPTS = ['after-install.sh', 'after-remove.sh'];
const APP = '/opt/SGLang Switchboard';

describe('deb scripts as files', () => {
  it.each(SCRIPTS)('%s uses no dollar-brace name but the macros electron-builder fills in, and parses', (name) => {
    const file = join(ROOT, 'resources', 'linux', name);
    // electron-builder replaces ${name} for [a-zA-Z]+ names and throws "Macro … is not defined" for unknown ones.
    const macros = [...readFileSync(file, 'utf8').matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
    expect(new Set(macros)).toEqual(new Set(['sanitizedProductName', 'executable']));
    execFileSync('bash', ['-n', file]);
  });
});

function sandboxSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'they need root';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return `no mount namespaces here (unshare: ${String(probe.stderr || probe.error).trim()})`;
  return null;
}
const reason = sandboxSkipReason();
if (reason) console.warn(`deb-scripts sandbox skipped: ${reason}`);

describe.skipIf(reason !== null)('deb scripts run by root in a throwaway mount namespace', () => {
  const steps = new Map<string, Record<string, string>>();
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sb-deb-scripts-'));
    const run = spawnSync('unshare', ['-m', '--propagation', 'private', join(import.meta.dirname, 'deb-scripts-sandbox.sh'), ROOT, work], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout, run.stderr).not.toMatch(/NO_OVERLAY/);
    expect(run.status, run.stderr).toBe(0);
    let current: Record<string, string> = {};
    for (const line of run.stdout.split('\n')) {
      if (line.startsWith('STEP ')) steps.set(line.slice(5), (current = {}));
      else if (line.includes('=')) {
        const [key, value] = line.split(/=(.*)/s) as [string, string];
        current[key] = current[key] === undefined ? value : `${current[key]},${value}`;
      }
    }
  }, 90_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('install without a running systemd: commands, group and unit in place, enabled for the next boot', () => {
    expect(steps.get('install-without-systemd')).toEqual({
      rc: '0',
      'link switchboard': `${APP}/resources/linux/switchboard`,
      'link switchboard-helper': `${APP}/resources/linux/switchboard-helper`,
      'link sglang-switchboard': `${APP}/sglang-switchboard`,
      group: 'sglang-switchboard',
      unit: 'installed',
      sysusers: 'installed',
      calls: 'apparmor_status --enabled;systemctl enable sglang-switchboard-helper.service;',
      cli: 'usage: switchboard COMMAND [options]',
      helper: 'usage: switchboard-helper [options]',
    });
  });

  it('install with systemd but no root catalog yet: enabled, not started (it would fail in a loop)', () => {
    expect(steps.get('install-with-systemd-no-catalog')?.calls).toBe('apparmor_status --enabled;systemctl daemon-reload;systemctl enable sglang-switchboard-helper.service;');
  });

  it('upgrade: the old postrm undoes nothing, the new postinst restarts the helper', () => {
    const step = steps.get('upgrade-with-catalog')!;
    expect(step.rc).toBe('0,0');
    expect(step['link switchboard']).toBe(`${APP}/resources/linux/switchboard`);
    expect(step.calls).toBe('apparmor_status --enabled;systemctl daemon-reload;systemctl enable sglang-switchboard-helper.service;systemctl restart sglang-switchboard-helper.service;');
  });

  it('remove: helper stopped and disabled, unit and links gone, group kept; purge also drops the sysusers file', () => {
    expect(steps.get('remove')).toMatchObject({
      rc: '0',
      'link switchboard': '',
      'link switchboard-helper': '',
      'link sglang-switchboard': '',
      group: 'sglang-switchboard',
      unit: 'absent',
      sysusers: 'installed',
      calls: 'systemctl disable --now sglang-switchboard-helper.service;systemctl daemon-reload;',
    });
    expect(steps.get('purge')).toMatchObject({ rc: '0', sysusers: 'absent' });
  });
});
