import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HelperError } from '../../../shared/helper-protocol.js';
import { HelperRequestError } from '../../helper/helper-client.js';
import { EngineError } from '../../../shared/engine-error.js';
import { createPowerLimits, toPowerLimitError } from './power-limits.js';

describe('toPowerLimitError', () => {
  it.each([
    [new HelperError('out_of_range', 'x'), 'bad_request'],
    [new HelperError('not_found', 'x'), 'not_found'],
    [new HelperError('unsupported', 'x'), 'unavailable'],
    [new HelperError('failed', 'x'), 'internal'],
    [new HelperRequestError('unreachable', 'x'), 'unavailable'],
    [new HelperRequestError('timeout', 'x'), 'unavailable'],
    [new HelperRequestError('busy', 'x'), 'unavailable'],
    [new HelperRequestError('denied', 'x'), 'unauthorized'],
    [new HelperRequestError('protocol', 'x'), 'internal'],
  ] as const)('%o → %s, keeping the helper code', (err, code) => {
    const mapped = toPowerLimitError(err);
    expect(mapped.code).toBe(code);
    expect(mapped.details).toEqual({ helperCode: err.code });
  });

  it('leaves EngineErrors alone and makes anything else internal', () => {
    const own = new EngineError('conflict', 'busy');
    expect(toPowerLimitError(own)).toBe(own);
    expect(toPowerLimitError(new Error('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
  });
});

describe('createPowerLimits', () => {
  it('not root: goes to the helper, and an absent helper is unavailable naming its socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'no-helper-'));
    try {
      const socket = join(dir, 'helper.sock');
      const limits = await createPowerLimits({ isRoot: false, helperSocketPath: socket });
      const err = await limits.setPowerLimit('00000000:41:00.0', 300).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ code: 'unavailable', details: { helperCode: 'unreachable' } });
      expect((err as Error).message).toContain(socket);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
