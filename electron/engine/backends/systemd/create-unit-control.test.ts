import { describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../../shared/catalog-schema.js';
import { createUnitControl } from './create-unit-control.js';
import { DirectUnitControl } from '../../../system/systemd/direct-unit-control.js';
import { SystemctlError } from '../../../system/systemd/systemctl.js';

function catalogOf(scope: 'system' | 'user') {
  return () => catalogSchema.parse({ backend: { kind: 'systemd', unit: 'sglang.service', scope } });
}

describe('createUnitControl', () => {
  it('acts directly on a --user unit, with no helper and no root', async () => {
    const control = await createUnitControl(catalogOf('user'), { isRoot: false });
    expect(control).toBeInstanceOf(DirectUnitControl);
  });

  it('acts directly on a system unit when root', async () => {
    const control = await createUnitControl(catalogOf('system'), { isRoot: true, dropInRoot: '/run/systemd/system' });
    expect(control).toBeInstanceOf(DirectUnitControl);
    expect((control as DirectUnitControl).dropInPath).toBe('/run/systemd/system/sglang.service.d/50-switchboard.conf');
  });

  it('controls a template instance with its own drop-in folder', async () => {
    const instance = () => catalogSchema.parse({ backend: { kind: 'systemd', unit: 'sglang@gpu0-1.service', scope: 'system' } });
    const control = await createUnitControl(instance, { isRoot: true, dropInRoot: '/run/systemd/system' });
    expect(control.unit).toBe('sglang@gpu0-1.service');
    expect((control as DirectUnitControl).dropInPath).toBe('/run/systemd/system/sglang@gpu0-1.service.d/50-switchboard.conf');
  });

  it('goes through the privileged helper for a system unit when not root, but reads state with plain systemctl', async () => {
    const control = await createUnitControl(catalogOf('system'), {
      isRoot: false,
      helperSocketPath: '/nonexistent/helper.sock',
      systemctlCommand: [process.execPath, '-e', 'process.exit(3)'],
    });
    expect(control).not.toBeInstanceOf(DirectUnitControl);
    expect(control.unit).toBe('sglang.service');
    await expect(control.selectModel('a')).rejects.toThrow(/nonexistent\/helper\.sock/);
    await expect(control.show()).rejects.toBeInstanceOf(SystemctlError);
  });

  it("puts a user unit's drop-in under $XDG_CONFIG_HOME/systemd/user by default", async () => {
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = '/home/ai/.config';
    try {
      const control = (await createUnitControl(catalogOf('user'))) as DirectUnitControl;
      expect(control.dropInPath).toBe('/home/ai/.config/systemd/user/sglang.service.d/50-switchboard.conf');
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
  });
});
