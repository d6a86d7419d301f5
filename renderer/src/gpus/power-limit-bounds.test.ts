import { describe, expect, it } from 'vitest';
import { checkPowerLimit, powerLimitBounds, presetRefusals, stepPowerLimit } from './power-limit-bounds.js';
import { rtx3090Sample } from './testing/rtx3090-samples.js';

describe('powerLimitBounds', () => {
  it('reads min/max/default/current from the sample', () => {
    expect(powerLimitBounds(rtx3090Sample(1, { powerLimitW: 300 }))).toEqual({ minW: 100, maxW: 350, defaultW: 350, currentW: 300 });
  });

  it('is null when the driver does not report the range', () => {
    expect(powerLimitBounds(rtx3090Sample(0, { minPowerLimitW: null }))).toBeNull();
    expect(powerLimitBounds(rtx3090Sample(0, { maxPowerLimitW: null }))).toBeNull();
  });
});

describe('checkPowerLimit: refused, never clamped', () => {
  const bounds = powerLimitBounds(rtx3090Sample(0))!;
  it.each([
    [100, true],
    [350, true],
    [275, true],
    [99, false],
    [351, false],
    [400, false],
    [0, false],
    [250.5, false],
    [Number.NaN, false],
  ])('%s W → ok %s', (watts, ok) => {
    expect(checkPowerLimit(watts, bounds).ok).toBe(ok);
  });

  it('says why, with the range', () => {
    expect(checkPowerLimit(400, bounds)).toEqual({ ok: false, reason: "400 W is outside this GPU's range 100–350 W." });
    expect(checkPowerLimit(300, null).ok).toBe(false);
  });
});

describe('stepPowerLimit (the slider keyboard)', () => {
  const bounds = powerLimitBounds(rtx3090Sample(0))!;
  it.each([
    [300, 'ArrowUp', 301],
    [300, 'ArrowRight', 301],
    [300, 'ArrowDown', 299],
    [300, 'ArrowLeft', 299],
    [300, 'PageUp', 310],
    [300, 'PageDown', 290],
    [300, 'Home', 100],
    [300, 'End', 350],
    [350, 'ArrowUp', 350],
    [345, 'PageUp', 350],
    [100, 'ArrowDown', 100],
  ])('%s W + %s → %s W', (watts, key, expected) => {
    expect(stepPowerLimit(watts, key, bounds)).toBe(expected);
  });

  it('ignores other keys', () => {
    expect(stepPowerLimit(300, 'a', bounds)).toBeNull();
    expect(stepPowerLimit(300, 'Enter', bounds)).toBeNull();
  });
});

describe('presetRefusals', () => {
  it('lists every GPU whose range excludes the preset', () => {
    const samples = [rtx3090Sample(0), rtx3090Sample(1, { maxPowerLimitW: 300 }), rtx3090Sample(2)];
    expect(presetRefusals(320, samples)).toEqual([{ index: 1, reason: "320 W is outside this GPU's range 100–300 W." }]);
    expect(presetRefusals(300, samples)).toEqual([]);
  });
});
