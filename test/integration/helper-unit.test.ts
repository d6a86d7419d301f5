import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_KEEP } from '../support/systemd-sandbox.js';
import { createTempGroup, exchange, HELPER_BIN, inSandbox, requestLine, stopSystemdSandbox, systemdSandbox } from './support/helper-daemon.js';
import { waitFor } from './support/sim-host.js';

const SHIPPED_UNIT = fileURLToPath(new URL('../../resources/systemd/sglang-switchboard-helper.service', import.meta.url));
const isRoot = process.getuid?.() === 0;

/** The shipped unit with test paths: every line it changes must exist, so a reshaped unit fails here. */
function adaptUnit(text: string, replace: Record<string, string | null>): string {
  let out = text;
  for (const [key, value] of Object.entries(replace)) {
    const line = new RegExp(`^${key}=.*$\\n`, 'm');
    expect(out, `shipped unit has ${key}=`).toMatch(line);
    out = out.replace(line, value === null ? '' : `${key}=${value}\n`);
  }
  return out;
}

describe.skipIf(!isRoot)('the shipped helper unit on a real systemd', () => {
  const suffix = randomBytes(3).toString('hex');
  const name = `sbh-unit-${suffix}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await stopSystemdSandbox();
  });

  it('starts with all its hardening, drives systemctl, writes the drop-in and audits', async (ctx) => {
    const sandbox = await systemdSandbox();
    if (!('pid' in sandbox)) {
      const note = `skipped "shipped helper unit": no systemd sandbox (${sandbox.reason})`;
      console.log(note);
      return ctx.skip(note);
    }
    const run = `/proc/${sandbox.pid}/root/run`;
    const group = await createTempGroup();
    cleanups.push(() => group.remove());
    await mkdir(`${run}/${name}`, { recursive: true });
    cleanups.push(() => rm(`${run}/${name}`, { recursive: true, force: true }));
    await writeFile(`${run}/${name}/serve.sh`, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    await writeFile(`${run}/${name}/switchboard.yaml`, stringify({ backend: { kind: 'systemd', unit: `${name}.service` }, models: [{ id: 'serve', script: `/run/${name}/serve.sh` }] }), {
      mode: 0o644,
    });
    await writeFile(`${run}/systemd/system/${name}.service`, '[Service]\nExecStart=/bin/sleep 600\n');

    const underHome = /^\/(root|home)\//.test(HELPER_BIN);
    if (underHome) console.log('the checkout is under /root or /home: the test unit uses ProtectHome=read-only instead of yes');
    // PrivateTmp=yes gives the unit its own /tmp: a checkout there (as a CI clone may be) is bound in read-only.
    const underTmp = /^\/(var\/)?tmp\//.test(HELPER_BIN);
    if (underTmp) console.log(`the checkout is under /tmp: the test unit binds ${SANDBOX_KEEP} in read-only`);
    const args = `--catalog /run/${name}/switchboard.yaml --group ${group.name} --socket /run/${name}-rt/helper.sock --drop-in-root /run/systemd/system --audit-log /run/${name}/audit.jsonl --state-dir /run/${name}/state`;
    const unitText = adaptUnit(await readFile(SHIPPED_UNIT, 'utf8'), {
      ExecStart: `${process.execPath} ${HELPER_BIN} ${args}`,
      // The sandbox's drop-in root is its private /run; host /var/lib and /var/log stay untouched.
      ReadWritePaths: '/run/systemd/system',
      RuntimeDirectory: `${name}-rt`,
      StateDirectory: null,
      StateDirectoryMode: null,
      LogsDirectory: null,
      LogsDirectoryMode: null,
      ...(underHome ? { ProtectHome: 'read-only' } : {}),
    });
    const bound = underTmp ? unitText.replace(/^\[Service\]\n/m, `[Service]\nBindReadOnlyPaths=${SANDBOX_KEEP}\n`) : unitText;
    await writeFile(`${run}/systemd/system/${name}-helper.service`, bound);
    cleanups.push(async () => {
      await inSandbox('systemctl', 'stop', `${name}-helper.service`, `${name}.service`);
      await rm(`${run}/systemd/system/${name}-helper.service`, { force: true });
      await rm(`${run}/systemd/system/${name}.service`, { force: true });
      await rm(`${run}/systemd/system/${name}.service.d`, { recursive: true, force: true });
      await inSandbox('systemctl', 'daemon-reload');
    });
    await inSandbox('systemctl', 'daemon-reload');
    await inSandbox('systemctl', 'start', `${name}-helper.service`);

    const socketPath = `${run}/${name}-rt/helper.sock`;
    await waitFor(() => existsSync(socketPath), 'the helper socket', 30_000);
    const ask = async (id: number, op: string, fields = {}) => (await exchange(socketPath, requestLine(id, op, fields)))[0];
    expect(await ask(1, 'selectModel', { modelId: 'serve' })).toMatchObject({ ok: true });
    expect(await readFile(`${run}/systemd/system/${name}.service.d/50-switchboard.conf`, 'utf8')).toContain(`ExecStart=/run/${name}/serve.sh`);
    expect(await ask(2, 'restart')).toMatchObject({ ok: true });
    const state = await waitFor(async () => {
      const s = (await ask(3, 'status')).result.unitState;
      return s?.subState === 'running' ? s : null;
    }, 'the unit to run');
    expect(await inSandbox('cat', `/proc/${state.mainPid}/cmdline`)).toBe('sleep\u0000600\u0000');
    expect(await ask(4, 'stop', { unit: 'systemd-journald.service' })).toMatchObject({ ok: false, error: { code: 'forbidden_unit' } });
    expect(await ask(5, 'stop')).toMatchObject({ ok: true });

    const audit = (await readFile(`${run}/${name}/audit.jsonl`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((e) => [e.op, e.outcome.ok])).toEqual([['selectModel', true], ['restart', true], ...audit.slice(2, -2).map(() => ['status', true]), ['stop', false], ['stop', true]]);
  });
});
