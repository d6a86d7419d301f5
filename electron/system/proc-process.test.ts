import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessLive, readProcArgv, readProcEnviron, readProcStat } from './proc-process.js';

describe.runIf(process.platform === 'linux')('proc-process', () => {
  it('reads this process: group, parent, a start time that stays the same, argv', () => {
    const stat = readProcStat(process.pid);
    expect(stat).toMatchObject({ pid: process.pid, ppid: process.ppid, pgrp: expect.any(Number) });
    expect(stat!.startTicks).toMatch(/^\d+$/);
    expect(readProcStat(process.pid)!.startTicks).toBe(stat!.startTicks);
    expect(isProcessLive(stat)).toBe(true);
    expect(readProcArgv(process.pid)).toEqual(process.argv.length > 0 ? expect.arrayContaining([process.argv[0]]) : []);
  });

  it('reads a child in its own group: argv with spaces kept, environment, and null once it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'an arg with spaces'], { detached: true, stdio: 'ignore', env: { SWITCHBOARD_PROBE: 'x=1' } });
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid!;
    expect(readProcStat(pid)!.pgrp).toBe(pid);
    expect(readProcArgv(pid)).toEqual([process.execPath, '-e', 'setInterval(() => {}, 1000)', 'an arg with spaces']);
    expect(readProcEnviron(pid)!.get('SWITCHBOARD_PROBE')).toBe('x=1');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(readProcStat(pid)).toBeNull();
    expect(readProcArgv(pid)).toBeNull();
  });
});
