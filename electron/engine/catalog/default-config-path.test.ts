import { describe, expect, it } from 'vitest';
import { defaultConfigPath, defaultStateDir } from './default-config-path.js';

describe('defaultConfigPath', () => {
  it.each([
    [{ XDG_CONFIG_HOME: '/xdg/config', HOME: '/home/u' }, '/xdg/config/sglang-switchboard/switchboard.yaml'],
    [{ HOME: '/home/u' }, '/home/u/.config/sglang-switchboard/switchboard.yaml'],
    [{ XDG_CONFIG_HOME: '', HOME: '/home/u' }, '/home/u/.config/sglang-switchboard/switchboard.yaml'],
    [{ XDG_CONFIG_HOME: 'relative/dir', HOME: '/home/u' }, '/home/u/.config/sglang-switchboard/switchboard.yaml'],
  ])('%j -> %s', (env, expected) => {
    expect(defaultConfigPath(env)).toBe(expected);
  });
});

describe('defaultStateDir', () => {
  it.each([
    [{ XDG_STATE_HOME: '/xdg/state', HOME: '/home/u' }, '/xdg/state/sglang-switchboard'],
    [{ HOME: '/home/u' }, '/home/u/.local/state/sglang-switchboard'],
    [{ XDG_STATE_HOME: './state', HOME: '/home/u' }, '/home/u/.local/state/sglang-switchboard'],
  ])('%j -> %s', (env, expected) => {
    expect(defaultStateDir(env)).toBe(expected);
  });
});
