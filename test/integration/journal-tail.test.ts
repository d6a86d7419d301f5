import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalTail } from '../../electron/engine/backends/systemd/journal-tail.js';
import { Systemctl } from '../../electron/system/systemd/systemctl.js';
import { makeSharedTempDir, skipWithoutSandbox, startSandbox, uniqueUnitName, type SystemdSandbox } from '../support/systemd-sandbox.js';
import { waitFor } from './support/sim-host.js';

const skip = skipWithoutSandbox('journal tail');

/**
 * Prints 10 lines, waits for a file, prints 10 more; each line is followed by a tqdm-style `\r` bar.
 * It fails at the end, so systemd keeps the unit (and its InvocationID) loaded, and logs its end.
 * It lives a moment after its last line, as SGLang does: the lines of a script that exits the instant
 * it has written were not found by invocation on a loaded machine (2 of 3 runs with three busy loops
 * on 2 cores; 0 of 4 with this sleep), see SETTLE_QUIET_MS in journal-tail.ts.
 */
const SCRIPT = `#!/bin/sh
i=1
while [ $i -le 20 ]; do
  if [ $i -eq 11 ]; then while [ ! -e "$1" ]; do sleep 0.02; done; fi
  echo "line $i"
  printf 'bar 10%%\\rbar 100%% ✓\\n'
  i=$((i+1))
done
sleep 1
exit 3
`;

function expectedOutput(from: number, to: number): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `line ${i}\r\nbar 10%\rbar 100% ✓\r\n`;
  return text;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip)('journalctl tail through node-pty (sandbox)', () => {
  let sandbox: SystemdSandbox;
  let dir: string;
  let systemctl: Systemctl;

  beforeAll(async () => {
    sandbox = await startSandbox();
    dir = await makeSharedTempDir('switchboard-journal-');
    await writeFile(join(dir, 'lines.sh'), SCRIPT);
    systemctl = new Systemctl({ scope: 'system', command: sandbox.systemctlCommand });
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function startLinesUnit(goFile: string): Promise<{ unit: string; invocationId: string }> {
    const unit = uniqueUnitName('switchboard-lines');
    await sandbox.writeUnit(unit, `[Service]\nType=simple\nExecStart=/bin/sh ${join(dir, 'lines.sh')} ${goFile}\n`);
    await systemctl.daemonReload();
    await systemctl.start(unit);
    return { unit, invocationId: (await systemctl.show(unit)).invocationId };
  }

  it('respawns a journalctl that died, after its cursor: every line once, bytes as written plus \\r\\n', async () => {
    const goFile = join(dir, 'go-1');
    const { unit, invocationId } = await startLinesUnit(goFile);
    let output = '';
    const tail = new JournalTail({ unit, scope: 'system', invocationId, command: sandbox.journalctlCommand, onOutput: (chunk) => (output += chunk) });
    tail.start();
    try {
      await waitFor(() => output.includes('line 10\r\n'), 'the first ten lines');
      const firstPid = tail.pid!;
      process.kill(firstPid, 'SIGKILL');
      await writeFile(goFile, '');
      await waitFor(() => output.includes('line 20\r\n') && output.endsWith('✓\r\n'), 'the last line after the reconnect');
      expect(tail.reconnects).toBeGreaterThanOrEqual(1);
      expect(tail.pid).not.toBe(firstPid);
      expect(output).toBe(expectedOutput(1, 20));
    } finally {
      tail.stop();
      await systemctl.stop(unit);
    }
  });

  it('drains a finished invocation with a one-shot read and leaves no journalctl behind', async () => {
    const goFile = join(dir, 'go-2');
    await writeFile(goFile, '');
    const { unit, invocationId } = await startLinesUnit(goFile);
    let output = '';
    const tail = new JournalTail({ unit, scope: 'system', invocationId, command: sandbox.journalctlCommand, onOutput: (chunk) => (output += chunk) });
    tail.start();
    const pid = tail.pid!;
    await waitFor(async () => (await systemctl.show(unit)).activeState === 'failed', 'the unit to finish');
    await tail.drain();
    expect(output).toBe(expectedOutput(1, 20));
    expect(tail.pid).toBeUndefined();
    await waitFor(() => !isAlive(pid), 'the follower to exit');
  });

  it('reads only the invocation it was given, never an earlier run of the unit', async () => {
    const goFile = join(dir, 'go-3');
    await writeFile(goFile, '');
    const { unit, invocationId: first } = await startLinesUnit(goFile);
    await waitFor(async () => (await systemctl.show(unit)).activeState === 'failed', 'the first run to finish');
    await systemctl.restart(unit);
    const second = (await systemctl.show(unit)).invocationId;
    expect(second).not.toBe(first);
    let output = '';
    const tail = new JournalTail({ unit, scope: 'system', invocationId: second, command: sandbox.journalctlCommand, onOutput: (chunk) => (output += chunk) });
    tail.start();
    await waitFor(async () => (await systemctl.show(unit)).activeState === 'failed', 'the second run to finish');
    await tail.drain();
    expect(output).toBe(expectedOutput(1, 20));
  });
});
