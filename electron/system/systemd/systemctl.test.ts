import { describe, expect, it } from 'vitest';
import { backendSettingsSchema } from '../../../shared/catalog-schema.js';
import { isValidUnitName, parseUnitShow } from './systemctl.js';

describe('parseUnitShow', () => {
  it('reads systemctl show key=value lines, ExecMainCode as text', () => {
    const text = [
      'MainPID=0',
      'Result=signal',
      'NRestarts=2',
      'ExecMainCode=2',
      'ExecMainStatus=9',
      'ActiveState=activating',
      'SubState=auto-restart',
      'InvocationID=e13ffb6b4a21482d8f229574f6e90356',
      '',
    ].join('\n');
    expect(parseUnitShow(text)).toEqual({
      activeState: 'activating',
      subState: 'auto-restart',
      mainPid: 0,
      execMainStatus: 9,
      execMainCode: 'killed',
      nRestarts: 2,
      invocationId: 'e13ffb6b4a21482d8f229574f6e90356',
      result: 'signal',
    });
  });

  it.each([
    ['0', ''],
    ['1', 'exited'],
    ['2', 'killed'],
    ['3', 'dumped'],
    ['killed', 'killed'],
    ['', ''],
  ])('ExecMainCode=%s → %j', (raw, expected) => {
    expect(parseUnitShow(`ExecMainCode=${raw}\n`).execMainCode).toBe(expected);
  });

  it('gives neutral values for missing or unreadable properties, and ignores other lines', () => {
    expect(parseUnitShow('garbage\n=x\nMainPID=[not set]\nFoo=a=b\n')).toEqual({
      activeState: '',
      subState: '',
      mainPid: 0,
      execMainStatus: 0,
      execMainCode: '',
      nRestarts: 0,
      invocationId: '',
      result: '',
    });
  });

  it('reads an unloaded unit (after a clean exit or a stop) as having no invocation', () => {
    const state = parseUnitShow('MainPID=0\nResult=success\nNRestarts=0\nExecMainCode=0\nExecMainStatus=0\nActiveState=inactive\nSubState=dead\nInvocationID=\n');
    expect(state).toMatchObject({ activeState: 'inactive', invocationId: '', execMainCode: '' });
  });
});

describe('isValidUnitName', () => {
  it.each(['sglang.service', 'sglang@gpu0.service', 'sglang@gpu0-1.service', 'sglang@all.service', 'sglang@.service', 'sglang-test-1.service', 'a\\x2db.service'])('accepts %s', (unit) => {
    expect(isValidUnitName(unit)).toBe(true);
  });
  it.each(['', '-sglang.service', '--user', 'sglang', '../x.service', 'a b.service', 'sglang.service\n', '@gpu0.service', 'a@b@c.service', 'sglang@../x.service', 'sglang@gpu0;rm.service'])(
    'refuses %j',
    (unit) => {
      expect(isValidUnitName(unit)).toBe(false);
    },
  );
});

describe("the catalog's backend.unit", () => {
  // Whatever the catalog accepts, systemctl is given; what it refuses never reaches a DirectUnitControl.
  it.each([
    ['sglang.service', true],
    ['sglang@.service', true],
    ['sglang@gpu0-1.service', true],
    ['sglang-test@all.service', true],
    ['-sglang.service', false],
    ['@gpu0.service', false],
    ['a@b@c.service', false],
    ['sglang@../x.service', false],
    ['sglang.socket', false],
    ['sglang', false],
  ])('%s: %s, as systemctl sees it', (unit, accepted) => {
    expect(backendSettingsSchema.safeParse({ unit }).success).toBe(accepted);
    if (accepted) expect(isValidUnitName(unit)).toBe(true);
  });
});
