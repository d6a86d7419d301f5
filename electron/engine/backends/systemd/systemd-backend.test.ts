import { describe, expect, it } from 'vitest';
import { exitOf, hasInvocationEnded, isInUnitCgroup, isRestartedBySystemd } from './systemd-backend.js';
import type { UnitState } from '../../../system/systemd/unit-control.js';

const running: UnitState = {
  activeState: 'active',
  subState: 'running',
  mainPid: 4242,
  execMainStatus: 0,
  execMainCode: '',
  nRestarts: 0,
  invocationId: '3de5f589ab8c4585b1f8b503f0630949',
  result: 'success',
};

describe('hasInvocationEnded', () => {
  it.each<[string, Partial<UnitState>, boolean]>([
    ['still running', {}, false],
    ['starting', { activeState: 'activating', subState: 'start' }, false],
    ['stopping (processes still there)', { activeState: 'deactivating', subState: 'stop-sigterm' }, false],
    ['failed', { activeState: 'failed', subState: 'failed', mainPid: 0 }, true],
    ['inactive', { activeState: 'inactive', subState: 'dead', mainPid: 0 }, true],
    ['waiting to be restarted by systemd', { activeState: 'activating', subState: 'auto-restart', mainPid: 0 }, true],
    ['restarted by systemd, running again', { nRestarts: 1, mainPid: 5000 }, true],
    ['a new invocation', { invocationId: 'e13ffb6b4a21482d8f229574f6e90356' }, true],
    ['stopped and unloaded (no invocation)', { activeState: 'inactive', subState: 'dead', invocationId: '' }, true],
  ])('%s → %s', (_name, change, ended) => {
    expect(hasInvocationEnded(running, { ...running, ...change })).toBe(ended);
  });
});

describe('exitOf', () => {
  it.each<[Partial<UnitState>, { code: number | null; signal: string | null }]>([
    [
      { execMainCode: 'exited', execMainStatus: 1 },
      { code: 1, signal: null },
    ],
    [
      { execMainCode: 'killed', execMainStatus: 9 },
      { code: null, signal: 'SIGKILL' },
    ],
    [
      { execMainCode: 'dumped', execMainStatus: 11 },
      { code: null, signal: 'SIGSEGV' },
    ],
    [
      { execMainCode: 'killed', execMainStatus: 15 },
      { code: null, signal: 'SIGTERM' },
    ],
    [
      { execMainCode: '', execMainStatus: 0 },
      { code: null, signal: null },
    ],
  ])('%j → %j', (change, exit) => {
    expect(exitOf({ ...running, ...change })).toEqual(exit);
  });
});

describe('isRestartedBySystemd', () => {
  it.each<[string, Partial<UnitState>, boolean]>([
    ['still running', {}, false],
    ['failed for good', { activeState: 'failed', subState: 'failed' }, false],
    ['stopped', { activeState: 'inactive', subState: 'dead', invocationId: '' }, false],
    ['waiting RestartSec', { activeState: 'activating', subState: 'auto-restart' }, true],
    ['running again after Restart=', { nRestarts: 1, invocationId: 'e13ffb6b4a21482d8f229574f6e90356' }, true],
    ['a new invocation already starting', { activeState: 'activating', subState: 'start', invocationId: 'e13ffb6b4a21482d8f229574f6e90356' }, true],
  ])('%s → %s', (_name, change, restarted) => {
    expect(isRestartedBySystemd(running, { ...running, ...change })).toBe(restarted);
  });
});

describe('isInUnitCgroup', () => {
  it.each<[string, string, boolean]>([
    ['cgroup v2, system unit', '0::/system.slice/sglang.service\n', true],
    ['cgroup v1 named hierarchy', '12:net_cls:/\n9:name=systemd:/system.slice/sglang.service\n0::/system.slice/sglang.service\n', true],
    ['user unit', '0::/user.slice/user-1000.slice/user@1000.service/app.slice/sglang.service\n', true],
    ['another unit', '0::/system.slice/sglang-switchboard.service\n', false],
    ['a unit whose name only starts the same', '0::/system.slice/sglang.service-old\n', false],
    ['no cgroup', '', false],
  ])('%s', (_name, text, inside) => {
    expect(isInUnitCgroup(text, 'sglang.service')).toBe(inside);
  });
});

describe('isInUnitCgroup for a template instance', () => {
  it.each<[string, string, boolean]>([
    ['its own instance, in the template slice', '0::/system.slice/system-sglang.slice/sglang@gpu0.service\n', true],
    ['a user instance', '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-sglang.slice/sglang@gpu0.service\n', true],
    ['another instance of the template', '0::/system.slice/system-sglang.slice/sglang@gpu0-1.service\n', false],
    ['the template slice alone', '0::/system.slice/system-sglang.slice\n', false],
  ])('%s', (_name, text, inside) => {
    expect(isInUnitCgroup(text, 'sglang@gpu0.service')).toBe(inside);
  });
});
