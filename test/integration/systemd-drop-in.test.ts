import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLaunch } from '../../shared/build-launch-argv.js';
import { catalogSchema } from '../../shared/catalog-schema.js';
import { renderDropIn } from '../../shared/systemd-drop-in.js';
import { DirectUnitControl } from '../../electron/system/systemd/direct-unit-control.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, uniqueUnitName, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { waitFor } from './support/sim-host.js';

const skip = skipWithoutSandbox('systemd drop-in round trip');

/** Every argument must reach the process exactly as given: systemd's quoting, specifiers and `$` expansion undone. */
const TRICKY_ARGS = [
  'plain',
  'with space',
  '100%',
  '%n%i%%',
  '$HOME',
  '${HOME}',
  '$$',
  'a"b',
  "it's",
  "'single'",
  '"double"',
  'back\\slash',
  'trailing\\',
  '\\n is not a newline',
  '\\x41',
  'ünïcødé ✓ 模型 🚀',
  '',
  ';',
  '\\;',
  'tab\there',
  'cr\rhere',
  '\x1b[1mbold',
  '--flag=x y',
  '-',
  '--',
  '"',
  "'",
  '\\',
  '%',
  '$',
  '#not-a-comment',
  'a;b',
];
const TRICKY_ENV = {
  RT_SPACE: 'a b',
  RT_PERCENT: '50% %n',
  RT_DOLLAR: '$HOME ${X} $$',
  RT_QUOTES: `"q" 'q'`,
  RT_BACKSLASH: 'C:\\x\\',
  RT_UNICODE: 'модель ✓',
  RT_EMPTY: '',
  RT_EQUALS: 'a=b=c',
  RT_CONTROL: 'tab\tcr\r',
};
/** Prints its argv and RT_* variables (base64, so nothing between it and the test rewrites a byte). */
const PRINT_ARGV = `const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('RT_') || k === 'CUDA_VISIBLE_DEVICES'));
console.log('ROUNDTRIP ' + Buffer.from(JSON.stringify({ argv: process.argv.slice(1), env })).toString('base64'));
`;

describe.skipIf(skip)('systemd drop-in against the real systemd (sandbox)', () => {
  let sandbox: SystemdSandbox;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    dir = await makeSharedTempDir('switchboard-dropin-');
    await writeFile(join(dir, 'print-argv.cjs'), PRINT_ARGV);
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes argv and environment through ExecStart=/Environment= byte for byte', async () => {
    const unit = uniqueUnitName('switchboard-argv');
    await sandbox.writeUnit(unit, '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/false\n');
    const catalog = catalogSchema.parse({
      backend: { kind: 'systemd', unit },
      sglang: { command: [process.execPath, join(dir, 'print-argv.cjs')], env: TRICKY_ENV },
      models: [{ id: 'tricky', modelPath: '/models/my model 100% $HOME', gpus: [0, 2], extraArgs: TRICKY_ARGS }],
    });
    const control = new DirectUnitControl({
      catalog,
      unit,
      scope: 'system',
      dropInRoot: sandbox.hostPath('/run/systemd/system'),
      systemctlCommand: sandbox.systemctlCommand,
    });
    const launch = buildLaunch(catalog.models[0]!, catalog);

    await control.selectModel('tricky');
    expect(await readFile(control.dropInPath, 'utf8')).toBe(renderDropIn({ argv: launch.argv, env: launch.env, modelId: 'tricky' }));
    await control.start();
    const { invocationId } = await control.show();
    try {
      const printed = await waitFor(async () => {
        const { stdout } = await sandbox.exec(['journalctl', `_SYSTEMD_INVOCATION_ID=${invocationId}`, '-o', 'cat', '--no-pager']);
        return /^ROUNDTRIP (\S+)$/m.exec(stdout)?.[1];
      }, 'the unit to print its argv');
      const seen = JSON.parse(Buffer.from(printed, 'base64').toString('utf8')) as { argv: string[]; env: Record<string, string> };
      expect(seen.argv).toEqual(launch.argv.slice(1));
      expect(seen.env).toEqual({ ...TRICKY_ENV, CUDA_VISIBLE_DEVICES: '0,2' });
    } finally {
      await control.stop();
    }
  });

  it('runs a legacy script model as the whole ExecStart', async () => {
    const unit = uniqueUnitName('switchboard-script');
    await sandbox.writeUnit(unit, '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/false\n');
    const script = join(dir, 'start sglang 100%.sh');
    await writeFile(script, '#!/bin/sh\necho "SCRIPT RAN with $# args, GPUS=$CUDA_VISIBLE_DEVICES"\n', { mode: 0o755 });
    const catalog = catalogSchema.parse({ backend: { kind: 'systemd', unit }, models: [{ id: 'legacy', script, gpus: [3] }] });
    const control = new DirectUnitControl({
      catalog: () => catalog,
      unit,
      scope: 'system',
      dropInRoot: sandbox.hostPath('/run/systemd/system'),
      systemctlCommand: sandbox.systemctlCommand,
    });
    await control.selectModel('legacy');
    await control.start();
    const { invocationId } = await control.show();
    try {
      await waitFor(async () => {
        const { stdout } = await sandbox.exec(['journalctl', `_SYSTEMD_INVOCATION_ID=${invocationId}`, '-o', 'cat', '--no-pager']);
        return stdout.includes('SCRIPT RAN with 0 args, GPUS=3');
      }, 'the script to run');
    } finally {
      await control.stop();
    }
  });

  it('refuses an unknown model and an upstream model without touching the drop-in', async () => {
    const unit = uniqueUnitName('switchboard-refuse');
    const catalog = catalogSchema.parse({ models: [{ id: 'far', upstream: 'http://10.0.0.7:30000' }] });
    const control = new DirectUnitControl({
      catalog,
      unit,
      scope: 'system',
      dropInRoot: sandbox.hostPath('/run/systemd/system'),
      systemctlCommand: sandbox.systemctlCommand,
    });
    await expect(control.selectModel('nope')).rejects.toThrow(/unknown model/);
    await expect(control.selectModel('far')).rejects.toThrow(/served elsewhere/);
    await expect(readFile(control.dropInPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
