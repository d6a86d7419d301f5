import { describe, expect, it } from 'vitest';
import { parsePowerLimitOutput, type PowerLimitReport } from './parse-power-limit-output.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';
import { nth } from '../../../test/support/nth.js';

const QUIET: Omit<PowerLimitReport, 'ok' | 'changes' | 'errors'> = { persistenceModeOff: false, allDone: false, terminatedEarly: false };

describe('parsePowerLimitOutput', () => {
  it.each<[string, PowerLimitReport]>([
    [
      'pl-success-4gpus-all-done.txt',
      {
        ...QUIET,
        ok: true,
        changes: ['3B', '5E', '86', 'AF'].map((bus) => ({ busId: `00000000:${bus}:00.0`, powerLimitW: 250, previousW: 300 })),
        errors: [],
        allDone: true,
      },
    ],
    ['pl-success-persistence-warning-terminal-wrapped.txt', { ...QUIET, ok: true, changes: [{ busId: '00000000:19:00.0', powerLimitW: 120, previousW: 250 }], errors: [], persistenceModeOff: true }],
    [
      'pl-error-out-of-range-rtx3070.txt',
      {
        ...QUIET,
        ok: false,
        changes: [],
        errors: [{ kind: 'out-of-range', busId: '00000000:29:00.0', requestedW: 10, minW: 100, maxW: 242 }],
        terminatedEarly: true,
      },
    ],
    ['pl-error-insufficient-permissions.txt', { ...QUIET, ok: false, changes: [], errors: [{ kind: 'insufficient-permissions', busId: '00000000:01:00.0' }] }],
    [
      // nvidia-smi exits 0 here: only the text says nothing changed.
      'pl-not-supported-laptop-exit0.txt',
      { ...QUIET, ok: false, changes: [], errors: [{ kind: 'not-supported', busId: '00000000:01:00.0' }], allDone: true },
    ],
  ])('%s', (file, report) => {
    expect(parsePowerLimitOutput(readNvidiaSmiFixture(file))).toEqual(report);
  });

  it('reads a success line even when the terminal wrapped it mid-number', () => {
    const first = nth(readNvidiaSmiFixture('pl-success-4gpus-all-done.txt').split('\n'), 0);
    const cut = first.indexOf('to 250') + 'to 25'.length;
    const wrapped = `${first.slice(0, cut)}${' '.repeat(59)}${first.slice(cut)}`; // "…set to 25" | "0.00 W from …", as in the wrapped capture
    expect(wrapped).toContain('set to 25 ');
    expect(parsePowerLimitOutput(wrapped).changes).toEqual([{ busId: '00000000:3B:00.0', powerLimitW: 250, previousW: 300 }]);
  });

  it('reports text it does not know as unrecognized, never as success', () => {
    const report = parsePowerLimitOutput(readNvidiaSmiFixture('version-driver610-kmd.txt'));
    expect(report.ok).toBe(false);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ kind: 'unrecognized' });
  });

  it('empty output is neither success nor a known error', () => {
    expect(parsePowerLimitOutput('')).toEqual({ ...QUIET, ok: false, changes: [], errors: [] });
  });
});
